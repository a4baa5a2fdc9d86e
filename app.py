"""Chairside's AWS entry points. Wiring only: the routes live in functions/, the thinking in shared/.

A cold start registers every route from the generated index without importing a route module, a request
model or the HTTP layer: the first request to a route loads what that route needs (functions/routes.py).
"""

from __future__ import annotations

from chalice import Chalice, Response

from functions.route_index import ROUTES
from shared.logs import logger
from shared.observability import traced

app = Chalice(app_name="chairside")


def _view(module: str, name: str):
    def view(**params: str) -> Response:
        from functions.api import handle
        from functions.routes import spec_named

        request = app.current_request
        context = request.context or {}
        outcome = handle(
            spec_named(module, name),
            headers=dict(request.headers or {}),
            params=params,
            raw_query=dict(request.query_params or {}),
            raw_body=request.raw_body,
            request_id=context.get("requestId"),
            claims=(context.get("authorizer") or {}).get("claims"),  # verified by the gateway's authorizer
            source_ip=(context.get("identity") or {}).get("sourceIp"),
        )
        return Response(body=outcome.body, status_code=outcome.status, headers=outcome.headers)

    view.__name__ = name
    return view


for _method, _path, _name, _module, _public in ROUTES:
    app.route(_path, methods=[_method], content_types=["*/*"], name=_name)(_view(_module, _name))


@app.middleware("all")
def observe(event, get_response):
    """Structured logs carry the Lambda request id and cold start; X-Ray traces each invocation."""
    context = getattr(app, "lambda_context", None)  # Chalice sets it only while serving an HTTP request
    if context is not None:
        logger.append_keys(function_request_id=getattr(context, "aws_request_id", None))
    with traced("## handler"):
        return get_response(event)


@app.middleware("http")
def error_shape(event, get_response):
    """Requests Chalice answers itself (415, 405, ...) still get our error shape."""
    response = get_response(event)
    if response.status_code >= 400:
        from functions.api import reject_chalice_error

        request_id = (event.context or {}).get("requestId", "")
        converted = reject_chalice_error(response.status_code, response.body, request_id)
        if converted is not None:
            response.body = converted
            response.headers["Content-Type"] = "application/json"
    return response


# --- scheduled, SQS and SNS handlers: a few lines each, the bodies are in functions/jobs.py -----------------
# Defined here, not in a blueprint, so that each gets the handler string `app.<name>` (see FIELD-NOTES.md).

# Expressions as strings: the template generator and the local scheduler (infra/jobs.py) both read them.
@app.schedule("cron(0 * * * ? *)", description="Hourly: fan out the daily job of each location where it is 02:00")
def nightly_planner(event):
    from functions import jobs

    return jobs.nightly_planner(event.to_dict())


@app.schedule("rate(1 minute)", description="Send the outbox rows that are due")
def send_due_messages(event):
    from functions import jobs

    return jobs.send_due_messages(event.to_dict())


@app.on_sqs_message(queue="location-jobs", batch_size=5)
def location_worker(event):
    from functions import jobs

    return jobs.location_worker(event.to_dict()["Records"])


@app.on_sns_message(topic="inbound-sms")
def inbound_sms(event):
    from functions import jobs

    return jobs.inbound_sms(event.to_dict()["Records"])


@app.on_sns_message(topic="email-feedback")
def email_feedback(event):
    from functions import jobs

    return jobs.email_feedback(event.to_dict()["Records"])
