"""Pages of the codes raised before the semantic rules run: load (Y), schema (S), compile (X001–X003).

The loader (:mod:`dunning.load.yaml_source`), the schema check (:mod:`dunning.policy.schema`)
and compile (:mod:`dunning.policy.compile`) raise these; the semantic rules never run on a
repository with one of these errors. Each page follows the rule-module convention: a title
line ``CODE name: summary``, why, a passing and a failing example.
"""

from __future__ import annotations

from dunning.problems import Level

STAGE_CODES: tuple[tuple[str, str, Level, str], ...] = (
    (
        "Y001",
        "yaml-syntax",
        Level.ERROR,
        """Y001 yaml-syntax: the file is not valid YAML.

        Reported at the line and column where the parser gave up, which is usually at or just
        after the mistake (an unclosed bracket, a tab, a missing colon).

        Passing::

            tiers:
              - {id: early, dpd: {min: 1, max: 30}}

        Failing (the flow mapping is never closed)::

            tiers:
              - {id: early, dpd: {min: 1, max: 30}
        """,
    ),
    (
        "Y002",
        "duplicate-key",
        Level.ERROR,
        """Y002 duplicate-key: a mapping has the same key twice.

        YAML libraries silently keep the last value, so one of the two settings is ignored
        without a word. Reported at the second occurrence.

        Passing::

            dpd: {min: 8, max: 30}

        Failing::

            dpd:
              min: 8
              min: 10
        """,
    ),
    (
        "Y003",
        "yaml11-ambiguity",
        Level.WARNING,
        """Y003 yaml11-ambiguity: a plain word that YAML 1.1 tools read as a boolean.

        ``yes``, ``no``, ``on``, ``off``, ``y`` and ``n`` are strings in YAML 1.2 (this tool and
        editors) but booleans in YAML 1.1 (many other tools). Quote them, or write ``true`` /
        ``false``. A mapping key that is not a plain scalar (a list or mapping used as a key)
        is reported under the same code as an error.

        Passing::

            segments: ["no"]

        Failing::

            segments: [no]
        """,
    ),
    (
        "Y004",
        "yaml-tag",
        Level.ERROR,
        """Y004 yaml-tag: a tag, merge key or typed value that policy files do not allow.

        Policy files are plain data. Language tags such as ``!!python/object`` are refused
        (they are how unsafe loaders run code), as are merge keys (``<<``, YAML 1.1 only)
        and explicitly typed values that do not parse (``!!int abc``).

        Passing::

            max: 4

        Failing::

            max: !!python/object:os.system ls
        """,
    ),
    (
        "Y005",
        "yaml-too-complex",
        Level.ERROR,
        """Y005 yaml-too-complex: nesting too deep, an alias cycle, or an alias bomb.

        A document may nest at most 64 levels and expand (aliases included) to at most
        200,000 values; "billion laughs" documents are refused before anything walks them.

        Passing::

            defaults: &calls [call]
            caps:
              - {id: weekly, channels: *calls, max: 4, per_days: 7}

        Failing::

            a: &a [x, x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
            # … and so on, each level ten times the last
        """,
    ),
    (
        "Y007",
        "not-text",
        Level.ERROR,
        """Y007 not-text: the file is not UTF-8 text, or larger than 8 MiB.

        Reported at the first byte that is not UTF-8 (or a NUL byte). A byte-order mark is
        tolerated.

        Passing: a policy file saved as UTF-8.

        Failing: a spreadsheet or an image saved as ``policies/tiers.yaml``.
        """,
    ),
    (
        "Y008",
        "empty-file",
        Level.WARNING,
        """Y008 empty-file: the policy file has no content.

        An empty file (or one with only comments) defines nothing; it is probably a mistake.

        Passing::

            tiers: []

        Failing: a file with only ``# TODO``.
        """,
    ),
    (
        "Y009",
        "outside-repository",
        Level.ERROR,
        """Y009 outside-repository: a path under ``policies/`` resolves outside the repository.

        Policy files arrive by pull request. A symlink such as ``policies/zz.yaml ->
        /home/ci/.netrc`` would make validate read that file and print its lines in the CI
        log, so a path whose real location (symlinks resolved, folders included) is outside
        the repository is never read: this finding names the path, never the target. The
        same holds for ``templates/`` (T010) and for the handbook's ``site/`` pages (the
        handbook build stops with an error).

        Passing: ``policies/tiers.yaml``, a regular file (or a symlink to another file of the
        repository).

        Failing: ``policies/zz.yaml`` as a symlink to ``/etc/passwd`` or ``../../secret.yaml``.
        """,
    ),
    (
        "S001",
        "unknown-key",
        Level.ERROR,
        """S001 unknown-key: a key the policy language does not have.

        Usually a typo; the hint names the closest allowed key ("did you mean 'dpd'?").
        Reported at the key.

        Passing::

            tiers:
              - {id: early, dpd: {min: 1, max: 30}}

        Failing::

            tiers:
              - {id: early, dpdd: {min: 1, max: 30}}
        """,
    ),
    (
        "S002",
        "missing-key",
        Level.ERROR,
        """S002 missing-key: a required key is absent.

        Reported at the mapping that must contain it.

        Passing::

            tiers:
              - {id: early, dpd: {min: 1}}

        Failing (every tier needs ``dpd``)::

            tiers:
              - {id: early}
        """,
    ),
    (
        "S003",
        "wrong-type",
        Level.ERROR,
        """S003 wrong-type: a value of the wrong type (text where a number belongs …).

        Passing::

            caps:
              - {id: weekly, channels: [call], max: 4, per_days: 7}

        Failing::

            caps:
              - {id: weekly, channels: call, max: "four", per_days: 7}
        """,
    ),
    (
        "S004",
        "value-not-allowed",
        Level.ERROR,
        """S004 value-not-allowed: a value outside the allowed set (channels, effects, kinds …).

        The hint lists the allowed values and the closest one.

        Passing::

            steps:
              - {day: 1, channel: sms, template: sms-reminder}

        Failing::

            steps:
              - {day: 1, channel: text, template: sms-reminder}
        """,
    ),
    (
        "S005",
        "out-of-range",
        Level.ERROR,
        """S005 out-of-range: a number, length or form outside what the language allows.

        Ranges (``day`` ≥ 0, ``sms_max_segments`` 1–10), list lengths (an experiment needs two
        arms) and forms (ids are lower-case words, jurisdictions ``CN`` / ``US-MA``, currencies
        ``USD``).

        Passing::

            jurisdictions:
              US: {currency: USD}

        Failing::

            jurisdictions:
              US: {currency: usd}
        """,
    ),
    (
        "S006",
        "invalid-value",
        Level.ERROR,
        """S006 invalid-value: a value that fails a policy-language check.

        Contact windows (``09:00-20:00``), amounts (a number ≥ 0 or a mapping of currency to
        amount), dates, IANA time zones and locales.

        Passing::

            windows:
              call: {workdays: "09:00-20:00"}

        Failing::

            windows:
              call: {workdays: "20:00-09:00"}
        """,
    ),
    (
        "S007",
        "conflicting-keys",
        Level.ERROR,
        """S007 conflicting-keys: keys that exclude or need each other.

        A blackout has either ``date:`` or both ``from:`` and ``to:``.

        Passing::

            blackouts:
              - {from: 2027-02-05, to: 2027-02-11, reason: Spring Festival}

        Failing::

            blackouts:
              - {date: 2027-02-05, to: 2027-02-11, reason: Spring Festival}
        """,
    ),
    (
        "S008",
        "not-a-mapping",
        Level.ERROR,
        """S008 not-a-mapping: a policy file whose top level is not a mapping of sections.

        Passing::

            tiers:
              - {id: early, dpd: {min: 1}}

        Failing::

            - id: early
              dpd: {min: 1}
        """,
    ),
    (
        "X001",
        "duplicate-id",
        Level.ERROR,
        """X001 duplicate-id: two elements of one section share an id (across files too).

        Only the first is used; references to the id become ambiguous.

        Passing::

            tiers:
              - {id: early, dpd: {min: 1, max: 30}}
              - {id: late, dpd: {min: 31}}

        Failing::

            tiers:
              - {id: early, dpd: {min: 1, max: 30}}
              - {id: early, dpd: {min: 31}}
        """,
    ),
    (
        "X002",
        "portfolio-twice",
        Level.ERROR,
        """X002 portfolio-twice: more than one file defines ``portfolio``.

        Keep one portfolio section per repository; the first one (in path order) is used.

        Passing: ``portfolio:`` only in ``policies/portfolio.yaml``.

        Failing: ``portfolio:`` in ``policies/portfolio.yaml`` and ``policies/extra.yaml``.
        """,
    ),
    (
        "X003",
        "no-portfolio",
        Level.ERROR,
        """X003 no-portfolio: no policy file defines ``portfolio``.

        Without it there is no company, locale or settings; nothing else can be checked.

        Passing::

            portfolio:
              id: book
              name: Book
              default_locale: en-US
              company: {name: Example, sms_signature: Example, email: a@example.com,
                        unsubscribe_url: "https://example.com/prefs"}

        Failing: a repository whose ``policies/`` has only tiers and strategies.
        """,
    ),
    (
        "A001",
        "acknowledgement-unused",
        Level.WARNING,
        """A001 acknowledgement-unused: an acknowledgement matches no finding.

        The finding it accepted is gone (the policy changed) or moved to another line. A
        stale acknowledgement would silently accept a different finding later, so it is
        reported until it is removed or moved to where the finding is now.

        Passing (the step still places three contacts in a week for US-MA)::

            strategies:
              mid:
                steps:
                  - {day: 31, channel: sms, template: sms-mid}
                  - day: 32  # dunning: ignore[L002] MA accounts: the third contact waits
                    channel: call
                    template: call-mid
                    every: 3

        Failing (nothing on that line is reported any more)::

            strategies:
              mid:
                steps:
                  - day: 32  # dunning: ignore[L002] MA accounts: the third contact waits
                    channel: call
                    template: call-mid
        """,
    ),
    (
        "A002",
        "acknowledgement-malformed",
        Level.WARNING,
        """A002 acknowledgement-malformed: an acknowledgement that cannot be used.

        An inline ``dunning: ignore[...]`` needs rule codes and a reason, so that a reviewer
        knows why the finding is accepted; and errors cannot be acknowledged at all (an
        error is something dunning will not do, not a judgement call). The finding stays.

        Passing::

            - day: 10  # dunning: ignore[L002] the MA team calls on its own cadence

        Failing::

            - day: 10  # dunning: ignore[L002]
        """,
    ),
)
