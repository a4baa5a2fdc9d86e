"""Chairside's AWS entry points. Wiring only: the routes live in functions/, the thinking in shared/."""

from __future__ import annotations

from chalice import Chalice, Response

from functions.api import RouteSpec, handle, reject_chalice_error
from functions.routes import all_routes
from shared.logs import logger
from shared.observability import traced

app = Chalice(app_name="chairside")


def _view(spec: RouteSpec):
    def view(**params: str) -> Response:
        request = app.current_request
        context = request.context or {}
        outcome = handle(
            spec,
            headers=dict(request.headers or {}),
            params=params,
            raw_query=dict(request.query_params or {}),
            raw_body=request.raw_body,
            request_id=context.get("requestId"),
        )
        return Response(body=outcome.body, status_code=outcome.status, headers=outcome.headers)

    view.__name__ = spec.name
    return view


for _spec in all_routes():
    app.route(_spec.path, methods=[_spec.method], content_types=["*/*"], name=_spec.name)(_view(_spec))


@app.middleware("all")
def observe(event, get_response):
    """Structured logs carry the Lambda request id and cold start; X-Ray traces each invocation."""
    context = app.lambda_context
    if context is not None:
        logger.append_keys(function_request_id=getattr(context, "aws_request_id", None))
    with traced("## handler"):
        return get_response(event)


@app.middleware("http")
def error_shape(event, get_response):
    """Requests Chalice answers itself (415, 405, ...) still get our error shape."""
    response = get_response(event)
    if response.status_code >= 400:
        request_id = (event.context or {}).get("requestId", "")
        converted = reject_chalice_error(response.status_code, response.body, request_id)
        if converted is not None:
            response.body = converted
            response.headers["Content-Type"] = "application/json"
    return response
