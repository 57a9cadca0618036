"""Recurring bookings (每天中午送餐, 每周二周四助洁): a plan and one booking per occurrence."""
