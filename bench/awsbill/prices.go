package awsbill

// Price is one us-east-1 list price with where and when it was read.
type Price struct {
	Name string  `json:"name"`
	USD  float64 `json:"usd"`
	Per  string  `json:"per"`
	// Source is the page the price was read from, Read the date.
	Source string `json:"source"`
	Read   string `json:"read"`
}

// Prices in us-east-1, read on 2026-12-06 through the search tool (no
// network access from the bench). Where AWS's own page was not in the
// index, a dated third-party page quoting it is cited.
var (
	PriceWRU = Price{"DynamoDB on-demand write request unit", 0.625, "million WRU",
		"https://airbyte.com/data-engineering-resources/dynamodb-pricing (US East, after the November 2024 on-demand price cut)", "2026-12-06"}
	PriceRRU = Price{"DynamoDB on-demand read request unit", 0.125, "million RRU",
		"https://airbyte.com/data-engineering-resources/dynamodb-pricing", "2026-12-06"}
	PriceLambdaGBs = Price{"Lambda duration, Arm", 0.0000133334, "GB-second",
		"https://cloudchipr.com/blog/aws-lambda-pricing (US East, first 7.5 billion GB-s a month)", "2026-12-06"}
	PriceLambdaRequest = Price{"Lambda requests", 0.20, "million requests",
		"https://cloudchipr.com/blog/aws-lambda-pricing", "2026-12-06"}
	PriceEvent = Price{"EventBridge custom events", 1.00, "million events (64 KB chunks)",
		"https://cloudburn.io/blog/amazon-eventbridge-pricing (US East, March 2026)", "2026-12-06"}
	PriceRESTRequest = Price{"API Gateway REST API requests", 3.50, "million requests (first 333 million a month)",
		"https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html", "2026-12-06"}
	PriceLogsGB = Price{"CloudWatch Logs ingestion, Standard class", 0.50, "GB",
		"https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026)", "2026-12-06"}
	PriceSecurityHubEvent = Price{"Security Hub (CSPM) finding ingestion", 0.00003, "event (after the first 10,000 a month)",
		"https://aws-gcr-wwso-security.gitbook.io/an-quan-zui-jia-shi-jian/an-quan-chan-pin-cheng-ben-gu-suan/an-quan-he-gui-chi-xu-jian-ce-he-zi-dong-xiu-fu-fei-yong", "2026-12-06"}
)

// AllPrices lists every price, in the order the report prints them.
var AllPrices = []Price{PriceWRU, PriceRRU, PriceLambdaGBs, PriceLambdaRequest, PriceEvent, PriceRESTRequest, PriceLogsGB, PriceSecurityHubEvent}

// Usage is what a run used, in billing units.
type Usage struct {
	TableWRU       float64 `json:"tableWru"`
	IndexWRU       float64 `json:"indexWru"`
	RRU            float64 `json:"rru"`
	LambdaGBs      float64 `json:"lambdaGbSeconds"`
	LambdaRequests float64 `json:"lambdaRequests"`
	Events         float64 `json:"events"`
	RESTRequests   float64 `json:"restRequests"`
	LogBytes       float64 `json:"logBytes"`
}

// Bill is a Usage in US dollars, part by part.
type Bill struct {
	DynamoWrites float64 `json:"dynamoWrites"`
	DynamoIndex  float64 `json:"dynamoIndexWrites"`
	DynamoReads  float64 `json:"dynamoReads"`
	Lambda       float64 `json:"lambda"`
	EventBridge  float64 `json:"eventBridge"`
	APIGateway   float64 `json:"apiGateway"`
	Logs         float64 `json:"logs"`
}

// Total is the sum of the parts.
func (b Bill) Total() float64 {
	return b.DynamoWrites + b.DynamoIndex + b.DynamoReads + b.Lambda + b.EventBridge + b.APIGateway + b.Logs
}

// Price prices u at the list prices (no free tier).
func (u Usage) Price() Bill {
	const million = 1e6
	return Bill{
		DynamoWrites: u.TableWRU / million * PriceWRU.USD,
		DynamoIndex:  u.IndexWRU / million * PriceWRU.USD,
		DynamoReads:  u.RRU / million * PriceRRU.USD,
		Lambda:       u.LambdaGBs*PriceLambdaGBs.USD + u.LambdaRequests/million*PriceLambdaRequest.USD,
		EventBridge:  u.Events / million * PriceEvent.USD,
		APIGateway:   u.RESTRequests / million * PriceRESTRequest.USD,
		Logs:         u.LogBytes / 1e9 * PriceLogsGB.USD,
	}
}

// Scale is u times f (per alert to per million alerts, say).
func (u Usage) Scale(f float64) Usage {
	return Usage{u.TableWRU * f, u.IndexWRU * f, u.RRU * f, u.LambdaGBs * f, u.LambdaRequests * f, u.Events * f, u.RESTRequests * f, u.LogBytes * f}
}
