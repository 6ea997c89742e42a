-- wrk script for make bench: POST a check-in (JSON, with a note) as the
-- client whose cookie and CSRF token are in the environment.
wrk.method = "POST"
wrk.body = '{"mood":6,"feelings":["calm"],"note":"A short note written during the benchmark."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("KINDRED_COOKIE")
wrk.headers["X-CSRF-Token"] = os.getenv("KINDRED_CSRF")
