#!/usr/bin/env bash
# Walk through a sign-in against the local Stack Auth emulator with nothing but curl.
#
#   python -m flask_stackauth.emulator --port 8102 &      # start the emulator first
#   bash docs/emulator-curl.sh                            # then run this script
#
# Needs curl and python3 (only to parse JSON and compute the PKCE challenge).
set -euo pipefail

BASE="${STACK_API_URL:-http://127.0.0.1:8102}"
PROJECT=internal
PCK=this-publishable-client-key-is-for-local-development-only
REDIRECT=http://localhost:5000/auth/callback       # any localhost URL is accepted
EMAIL="${EMAIL:-curl-user@example.com}"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
urlq() { python3 -c "import sys,urllib.parse as u; print(dict(u.parse_qsl(u.urlsplit(sys.argv[1]).query))[sys.argv[2]])" "$1" "$2"; }

# 1. PKCE verifier + S256 challenge, and a state for CSRF protection.
VERIFIER=$(python3 -c "import secrets; print(secrets.token_urlsafe(48))")
CHALLENGE=$(python3 -c "import base64,hashlib,sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).rstrip(b'=').decode())" "$VERIFIER")
STATE=$(python3 -c "import secrets; print(secrets.token_urlsafe(16))")

# 2. Authorize in JSON mode: the answer is {"location": <mock provider URL>} and no cookie is needed.
LOCATION=$(curl -sfG "$BASE/api/v1/auth/oauth/authorize/github" \
  --data-urlencode "client_id=$PROJECT" --data-urlencode "client_secret=$PCK" \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "scope=legacy" --data-urlencode "state=$STATE" \
  --data-urlencode "grant_type=authorization_code" --data-urlencode "code_challenge=$CHALLENGE" \
  --data-urlencode "code_challenge_method=S256" --data-urlencode "response_type=code" \
  --data-urlencode "stack_response_mode=json" | json '["location"]')
echo "provider URL: $LOCATION"

# 3. Mock provider: /mock-oauth/auth answers 303 to the login page /mock-oauth/interaction/<uid>.
PAGE=$(curl -s -o /dev/null -w '%{redirect_url}' "$LOCATION")
# Post the login form (any email, no password): 303 back to the emulator's callback.
CALLBACK=$(curl -s -o /dev/null -w '%{redirect_url}' -d "login=$EMAIL" "$PAGE/login")
# The callback answers 303 to the app: $REDIRECT?code=...&state=... (do not follow it).
APP_URL=$(curl -s -o /dev/null -w '%{redirect_url}' "$CALLBACK")
echo "back at the app: $APP_URL"
[ "$(urlq "$APP_URL" state)" = "$STATE" ] || { echo "state mismatch" >&2; exit 1; }
CODE=$(urlq "$APP_URL" code)

# 4. Exchange the code (form-encoded, same redirect_uri, the PKCE verifier).
TOKENS=$(curl -sf "$BASE/api/v1/auth/oauth/token" \
  -d grant_type=authorization_code --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" \
  --data-urlencode "code_verifier=$VERIFIER" -d "client_id=$PROJECT" -d "client_secret=$PCK")
ACCESS=$(echo "$TOKENS" | json '["access_token"]')
REFRESH=$(echo "$TOKENS" | json '["refresh_token"]')

CLIENT=(-H "x-stack-access-type: client" -H "x-stack-project-id: $PROJECT" -H "x-stack-publishable-client-key: $PCK")

# 5. Who am I?
curl -sf "$BASE/api/v1/users/me" "${CLIENT[@]}" -H "x-stack-access-token: $ACCESS" | json '["primary_email"]'

# 6. Refresh, either with the sessions endpoint (send no expired access token!)...
ACCESS=$(curl -sf -X POST "$BASE/api/v1/auth/sessions/current/refresh" "${CLIENT[@]}" \
  -H "x-stack-refresh-token: $REFRESH" | json '["access_token"]')
# ...or with the OAuth refresh grant (the refresh token is not rotated).
curl -sf "$BASE/api/v1/auth/oauth/token" -d grant_type=refresh_token --data-urlencode "refresh_token=$REFRESH" \
  -d "client_id=$PROJECT" -d "client_secret=$PCK" | json '["token_type"]'

# 7. Sign out: revokes the session named in the access token; the refresh token then fails with 401.
curl -sf -X DELETE "$BASE/api/v1/auth/sessions/current" "${CLIENT[@]}" -H "x-stack-access-token: $ACCESS" \
  -H "content-type: application/json" -d '{}'
echo
curl -s -o /dev/null -w 'refresh after sign-out: %{http_code}\n' -X POST \
  "$BASE/api/v1/auth/sessions/current/refresh" "${CLIENT[@]}" -H "x-stack-refresh-token: $REFRESH"

# Test controls (not part of Stack's API): reset, move the clock, inject faults, count calls.
curl -s -X POST "$BASE/_emulator/clock" -H 'content-type: application/json' -d '{"advance": 30}'; echo
curl -s "$BASE/_emulator/calls?method=POST"; echo
