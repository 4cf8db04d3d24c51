"""Compliance: the law as data (packs), calendars, time zones, contact windows and the contact
engine that validate, plan and ``dunning gate`` all ask "may we contact this person now?"."""
