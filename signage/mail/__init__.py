"""The e-mail outbox: mails are rows first, sent by the job queue after commit."""
