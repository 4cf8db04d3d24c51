"""Message text helpers shared by validate, render and the handbook: SMS encoding and tone words."""
