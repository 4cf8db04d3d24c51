"""The template machinery every stage shares: the sandbox, locale formatting, the context
shape and its builder, and the synthetic personas.

Below the stages on purpose: validate's rules, the handbook's gallery, review's impact
reports and render all use it, and a stage never imports a later one (rules/, handbook/ and
review/ used to import render/ for it).
"""
