"""Where a bug's fix stands for one customer, in three layers that import one way:
`rule` (pure, over frozen values) ← `facts` (queries that build those values) ← `answers`
(the use cases, with a reply for the ticket)."""
