"""Answer shapes the recordings show that a parser could trip on, each read the way the real server meant it."""

from __future__ import annotations

import pytest
from fidelity_support import ACCESS, RecordedStack, assert_same_request, step

from flask_stackauth.errors import (
    KnownError,
    OAuthAccessTokenNotAvailableWithSharedOAuthKeys,
    StackAuthHTTPError,
    StackAuthUnavailable,
)


def test_a_known_error_body_without_its_header_is_still_the_known_error(recorded_stack: RecordedStack) -> None:
    # v2.7.16's deprecated connected-accounts route drops the x-stack-known-error header but keeps the body.
    rec = step("v2.7.16", "connected", "access_token_deprecated_route")
    assert "x-stack-known-error" not in rec["headers"] and rec["body"]["code"]
    recorded_stack.answer(rec)
    with pytest.raises(OAuthAccessTokenNotAvailableWithSharedOAuthKeys) as caught:
        recorded_stack.client().request("POST", rec["request"]["path"], access_token=ACCESS,
                                        json=rec["request"]["body"])
    assert caught.value.upstream_status == 400 and "shared OAuth keys" in str(caught.value)
    assert_same_request(recorded_stack.received[0], rec)


@pytest.mark.parametrize("body", [{"error": "invalid_grant", "error_description": "bad"}, {"code": "lower_case",
                                                                                           "error": "x"},
                                  {"code": "NOT_AN_ERROR_MESSAGE", "error": 3}, ["CODE"]])
def test_json_errors_that_are_not_known_errors_stay_http_errors(recorded_stack: RecordedStack, body: object) -> None:
    recorded_stack.answer({"status": 400, "headers": {"content-type": "application/json"}, "body": body})
    with pytest.raises(StackAuthHTTPError) as caught:
        recorded_stack.client().request("GET", "/api/v1/anything")
    assert not isinstance(caught.value, KnownError)


def test_a_plain_text_500_with_a_request_id_is_an_outage(recorded_stack: RecordedStack) -> None:
    rec = step("v2.8.86", "verification", "err_server_create_unknown_user")
    recorded_stack.answer(rec)
    with pytest.raises(StackAuthUnavailable) as caught:
        recorded_stack.client().request("POST", rec["request"]["path"], access_type="server",
                                        json=rec["request"]["body"])
    assert "Request ID" not in str(caught.value)  # Stack's text stays out of our message
