#!/usr/bin/env bash
# Deploy the real Muster CDK stack to a running LocalStack with cdklocal
# (make localstack-deploy; make builds the arm64 bootstraps first).
#
#   docker compose -f localstack/compose.yaml up -d   # LOCALSTACK_AUTH_TOKEN set
#   make localstack-deploy
#
# Environment:
#   LOCALSTACK_ENDPOINT  LocalStack gateway (default http://localhost:4566)
#   AWS_REGION           region to deploy to (default us-east-1)
#   MUSTER_ARCH          function architecture: arm64 (default on arm64
#                        hosts) or x86_64 (default elsewhere; LocalStack runs
#                        Lambda containers on the host's architecture)
#   MUSTER_DEV_TOKEN     if set (and the aws CLI is installed), written to the
#                        auth parameter as an all-scopes token, hashed
#   MUSTER_ARCHIVE       true or false: passed as `-c archive=…`; false leaves
#                        out the event bus archive, which LocalStack supports
#                        only in some versions and plans (unset: the stack's
#                        default, true)
#   CDK_ARGS             extra arguments for `cdklocal deploy`, e.g. "-c tracing=true"
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

endpoint=${LOCALSTACK_ENDPOINT:-http://localhost:4566}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=$AWS_REGION
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
export AWS_ENDPOINT_URL=$endpoint
export CDK_DEFAULT_ACCOUNT=000000000000
export CDK_DEFAULT_REGION=$AWS_REGION
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

if ! curl -fsS "$endpoint/_localstack/health" >/dev/null; then
  echo "LocalStack is not answering at $endpoint." >&2
  echo "Start it: LOCALSTACK_AUTH_TOKEN=... docker compose -f localstack/compose.yaml up -d" >&2
  exit 1
fi

# Optional: leave out the event bus archive (context archive=false).
archive_args=()
case "${MUSTER_ARCHIVE:-}" in
  "") ;;
  true|false) archive_args=(-c "archive=$MUSTER_ARCHIVE") ;;
  *) echo "MUSTER_ARCHIVE=$MUSTER_ARCHIVE: want true or false" >&2; exit 1 ;;
esac

# The functions must match the architecture LocalStack runs Lambda on.
arch=${MUSTER_ARCH:-}
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    aarch64|arm64) arch=arm64 ;;
    *) arch=x86_64 ;;
  esac
fi
assets="$root/dist"
if [ "$arch" = x86_64 ]; then
  assets="$root/.muster/dist-localstack"
  for f in ingest correlator query responder; do
    mkdir -p "$assets/$f"
    GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' \
      -o "$assets/$f/bootstrap" "./functions/$f"
  done
fi
for f in ingest correlator query responder; do
  [ -x "$assets/$f/bootstrap" ] || { echo "missing $assets/$f/bootstrap: run make build" >&2; exit 1; }
done

# The auth parameter the stack references (created out of band, as in AWS).
if [ -n "${MUSTER_DEV_TOKEN:-}" ] && command -v aws >/dev/null 2>&1; then
  hash=$(printf '%s' "$MUSTER_DEV_TOKEN" | sha256sum | cut -d' ' -f1)
  aws --endpoint-url "$endpoint" ssm put-parameter --name /muster/auth --type SecureString --overwrite \
    --value "{\"tokens\":[{\"name\":\"dev\",\"sha256\":\"$hash\",\"scopes\":[\"*\"]}]}" >/dev/null
  echo "auth parameter /muster/auth: dev token (hashed) with every scope"
else
  echo "note: create the SecureString parameter /muster/auth in LocalStack (see docs/deploy.md), or set MUSTER_DEV_TOKEN with the aws CLI installed"
fi

mkdir -p .muster
cdk=(npx --yes --package aws-cdk-local@3 --package aws-cdk@3 cdklocal)
cd infra
"${cdk[@]}" bootstrap "aws://000000000000/$AWS_REGION"
# LocalStack settings: no deletion protection (a throwaway stack), no
# account-level API Gateway logging role, host-architecture functions.
# shellcheck disable=SC2086
"${cdk[@]}" deploy Muster --require-approval never \
  -c assetRoot="$assets" -c architecture="$arch" \
  -c deletionProtection=false -c apiCloudWatchRole=false ${archive_args[@]+"${archive_args[@]}"} \
  --outputs-file "$root/.muster/localstack-outputs.json" ${CDK_ARGS:-}

url=$(node -e 'const o=require(process.argv[1]); process.stdout.write((o.Muster||{}).ApiUrl||"")' "$root/.muster/localstack-outputs.json")
api_id=$(printf '%s' "$url" | sed -E 's#https?://([^.]+)\.execute-api\..*#\1#')
stage=$(printf '%s' "$url" | sed -E 's#.*/([^/]+)/?$#\1#')
echo
echo "Muster is deployed to LocalStack."
echo "API URL (as CloudFormation reports it): $url"
echo "API URL (LocalStack):                   $endpoint/restapis/$api_id/$stage/_user_request_/"
echo "try: curl -s $endpoint/restapis/$api_id/$stage/_user_request_/healthz"
