"""Schemathesis hooks for `scripts/schemathesis.sh`.

Page tokens are opaque capabilities that only the server issues (HMAC-signed, bound to the
query): any token a generator invents is a forgery, which the API rejects with 400 by design.
They are tested where they can be: crates/api/tests/input_props.rs (round trips, every changed
character refused) and cli/tests/serve.rs (walks, tampering, mismatches). Here they are left
out of generated requests so that every other parameter is checked against the schema.
"""
import schemathesis


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.query and "page_token" in case.query:
        del case.query["page_token"]
