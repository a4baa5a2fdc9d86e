"""Commands: the validated requests that routes hand to services, as typed values (pydantic models that
know nothing of HTTP). A route validates the body or query into one of these; the service reads its
fields, and for a PATCH which fields were sent (`Patch.sent`). Built on first validation
(`defer_build`), so importing one costs little on a cold start."""
