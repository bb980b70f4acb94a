"""supervision area: 督办 — reminders and escalations on case deadlines, through in-app, e-mail and 企业微信."""
