package stack

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/functions/query/openapi"
)

// Route is one path of the REST API, its methods and the function serving it.
type Route struct {
	Path     string
	Methods  []string
	Function string
}

// outsideOpenAPI are the routes the query API's OpenAPI document does not
// describe: ingest's webhooks, and the console's page and static files,
// which the query function serves beside its router (docs/console.md).
var outsideOpenAPI = []Route{
	{"/", []string{"GET"}, Query},
	{"/assets/{proxy+}", []string{"GET"}, Query},
	{"/webhooks/{provider}", []string{"POST"}, Ingest},
}

// Routes is every route of the API: the paths and methods of the query
// API's OpenAPI document (package openapi, the one route table the query
// router is built from too), all served by query, plus outsideOpenAPI.
var Routes = routes(openapi.Operations())

func routes(ops []openapi.Operation) []Route {
	out := slices.Clone(outsideOpenAPI)
	at := map[string]int{} // path → index in out
	for _, op := range ops {
		i, ok := at[op.Path]
		if !ok {
			i = len(out)
			at[op.Path] = i
			out = append(out, Route{Path: op.Path, Function: Query})
		}
		out[i].Methods = append(out[i].Methods, op.Method)
	}
	return out
}

// accessLogFormat is the JSON access log line. It never includes headers,
// so neither bearer tokens nor webhook signatures reach the logs.
const accessLogFormat = `{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId",` +
	`"ip":"$context.identity.sourceIp","userAgent":"$context.identity.userAgent","requestTime":"$context.requestTime",` +
	`"httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationLatency":"$context.integration.latency",` +
	`"integrationStatus":"$context.integration.status","errorType":"$context.error.responseType",` +
	`"errorMessage":"$context.error.message","wafStatus":"$context.waf.status"}`

// api builds the REST API: its stage, one method per route, the
// gateway's own error answers, and the URL the functions link to.
func (b *builder) api() error {
	api := awsapigateway.NewRestApi(b.st, jsii.String("Api"), b.apiProps())
	b.API = api
	b.addRoutes(api)
	addGatewayResponses(api)
	b.setAPIURL(api)
	b.suppressAPI(api)
	return nil
}

// apiProps is the regional API with its stage's throttling and logs, and
// CORS when origins are configured.
func (b *builder) apiProps() *awsapigateway.RestApiProps {
	access := b.logGroup("ApiAccessLogs")
	props := &awsapigateway.RestApiProps{
		RestApiName: jsii.String(b.p.StackName + "-api"),
		Description: jsii.String("Muster API: webhooks, alerts, incidents, suppression rules, playbooks, console"),
		EndpointConfiguration: &awsapigateway.EndpointConfiguration{
			Types: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		},
		// The account-level role API Gateway needs to write logs at all.
		CloudWatchRole:              b.p.APICloudWatchRole,
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		MinCompressionSize:          awscdk.Size_Kibibytes(jsii.Number(1)),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(b.p.APIStageName),
			ThrottlingRateLimit:  jsii.Number(b.p.APIThrottleRate),
			ThrottlingBurstLimit: jsii.Number(float64(b.p.APIThrottleBurst)),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(access),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
			// Execution logs for errors only, and never request or response
			// bodies (DataTraceEnabled false): bodies hold alert data.
			LoggingLevel:     awsapigateway.MethodLoggingLevel_ERROR,
			DataTraceEnabled: jsii.Bool(false),
			MetricsEnabled:   jsii.Bool(true),
			TracingEnabled:   jsii.Bool(b.p.Tracing),
		},
	}
	if len(b.p.CORSOrigins) > 0 {
		props.DefaultCorsPreflightOptions = &awsapigateway.CorsOptions{
			AllowOrigins:  jsii.Strings(b.p.CORSOrigins...),
			AllowMethods:  jsii.Strings("GET", "POST", "PATCH", "DELETE", "OPTIONS"),
			AllowHeaders:  jsii.Strings("Authorization", "Content-Type", "If-Match", "X-Muster-Timestamp", "X-Muster-Signature"),
			ExposeHeaders: jsii.Strings("ETag", "Location"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	return props
}

// addRoutes adds every route of Routes to api, integrated with the
// function serving it.
func (b *builder) addRoutes(api awsapigateway.RestApi) {
	// One invoke permission per function for the whole API rather than one
	// per method: fewer resources, same boundary (this API only).
	integrations := map[string]awsapigateway.LambdaIntegration{}
	for _, name := range []string{Ingest, Query} {
		integrations[name] = awsapigateway.NewLambdaIntegration(b.Functions[name], &awsapigateway.LambdaIntegrationOptions{
			ScopePermissionToMethod: jsii.Bool(false),
		})
	}
	for _, r := range Routes {
		res := api.Root()
		for _, part := range strings.Split(strings.Trim(r.Path, "/"), "/") {
			if part == "" {
				continue
			}
			if child := res.GetResource(jsii.String(part)); child != nil {
				res = child
			} else {
				res = res.AddResource(jsii.String(part), nil)
			}
		}
		for _, m := range r.Methods {
			// Authentication is enforced in the handlers (see doc.go), so the
			// gateway passes every request through.
			res.AddMethod(jsii.String(m), integrations[r.Function], &awsapigateway.MethodOptions{
				AuthorizationType: awsapigateway.AuthorizationType_NONE,
			})
		}
	}
}

// addGatewayResponses answers the errors produced by the gateway itself
// (throttling, 413, missing route) in the API's problem+json shape, with
// the headers of every API answer (not cached, not sniffed).
func addGatewayResponses(api awsapigateway.RestApi) {
	for id, typ := range map[string]awsapigateway.ResponseType{
		"Default4xx": awsapigateway.ResponseType_DEFAULT_4XX(),
		"Default5xx": awsapigateway.ResponseType_DEFAULT_5XX(),
	} {
		api.AddGatewayResponse(jsii.String(id), &awsapigateway.GatewayResponseOptions{
			Type: typ,
			ResponseHeaders: &map[string]*string{"Content-Type": jsii.String("'application/problem+json'"),
				"Cache-Control": jsii.String("'no-store'"), "X-Content-Type-Options": jsii.String("'nosniff'")},
			Templates: &map[string]*string{"application/json": jsii.String(
				`{"type":"about:blank","title":$context.error.messageString,"requestId":"$context.requestId"}`)},
		})
	}
}

// setAPIURL gives every function the API's public URL as MUSTER_API_URL.
func (b *builder) setAPIURL(api awsapigateway.RestApi) {
	url := b.p.PublicURL
	if url == "" {
		// From the API id, not api.Url(): the stage depends on the methods,
		// which depend on the functions, so the stage URL would be a cycle.
		url = "https://" + *api.RestApiId() + ".execute-api." + *awscdk.Aws_REGION() + "." + *awscdk.Aws_URL_SUFFIX() + "/" + b.p.APIStageName
	}
	b.apiURL = url
	for _, fn := range b.Functions {
		fn.AddEnvironment(jsii.String("MUSTER_API_URL"), jsii.String(url), nil)
	}
}

// suppressAPI records why the API's cdk-nag findings are accepted.
func (b *builder) suppressAPI(api awsapigateway.RestApi) {
	suppress(api,
		rule{id: "AwsSolutions-APIG4", reason: "Authentication is enforced in the handlers (shared/auth): webhooks may be HMAC-signed over the raw body, which an API Gateway authorizer cannot see; one implementation serves local and cloud. Only /healthz and the static console are open."},
		rule{id: "AwsSolutions-COG4", reason: "Callers are alert sources and bots with bearer tokens or HMAC signatures, not Cognito users; see AwsSolutions-APIG4."},
		rule{id: "AwsSolutions-APIG2", reason: "Bodies are validated by the handlers against each provider's format (with per-item results); a gateway model would reject valid provider batches."},
		rule{id: "AwsSolutions-APIG3", reason: "Stage throttling limits request rates; associating a regional WAF web ACL is an account-level choice documented in docs/deploy.md."},
		rule{id: "AwsSolutions-IAM4", appliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"},
			reason: "The account-level API Gateway logging role uses AWS's purpose-built managed policy; it is required for access and execution logs."},
	)
	if !b.p.Tracing {
		suppress(api, rule{id: "Serverless-APIGWXrayEnabled", reason: "X-Ray tracing is opt-in (context tracing=true)."})
	}
}
