"""Announcements (公告): banners, bot answers, notices to affected customers, fixing on close."""
