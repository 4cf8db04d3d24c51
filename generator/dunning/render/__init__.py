"""Render stage: plans → channel-ready files (SMS, email, letters, call lists, visits, agency)."""
