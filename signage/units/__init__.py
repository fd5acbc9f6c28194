"""The reporting chain: the organisation tree, its supervisors' dashboards, progress
over time, self-registration with approval, organisation CSV import and reminders."""
