"""The in-server scheduler: background jobs that used to need cron (see docs/configuration.md).

``runner.Scheduler`` runs each registered job (``jobs.JOBS``) on its own background thread, at its
interval, under the single-runner lock of ``supervision.lock`` — so however many uvicorn workers and
replicas start it, each job runs once per interval and never twice at the same time. The app's
lifespan starts it (``SUQIU_SCHEDULER``, on for ``suqiu server``) and stops it on shutdown.
"""
