package stack

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"
)

// eventPattern turns an EventBridge pattern written as JSON (as the shared
// resources package keeps them) into the CDK's EventPattern, so the rules
// here never restate a pattern. Only top-level fields the CDK type models
// are accepted; anything else is an error rather than silently dropped.
func eventPattern(src string) (*awsevents.EventPattern, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(src), &raw); err != nil {
		return nil, fmt.Errorf("event pattern %s: %w", src, err)
	}
	var p awsevents.EventPattern
	for key, val := range raw {
		var err error
		switch key {
		case "source":
			p.Source, err = stringList(val)
		case "detail-type":
			p.DetailType, err = stringList(val)
		case "account":
			p.Account, err = stringList(val)
		case "region":
			p.Region, err = stringList(val)
		case "resources":
			p.Resources, err = stringList(val)
		case "detail":
			var d map[string]any
			err = json.Unmarshal(val, &d)
			p.Detail = &d
		default:
			err = fmt.Errorf("field not supported here")
		}
		if err != nil {
			return nil, fmt.Errorf("event pattern %s: %q: %w", src, key, err)
		}
	}
	return &p, nil
}

func stringList(raw json.RawMessage) (*[]*string, error) {
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	return jsii.Strings(list...), nil
}
