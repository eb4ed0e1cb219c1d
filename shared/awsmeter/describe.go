package awsmeter

import (
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/resources"
)

// describe reads what a call did from its input and, for a call that
// succeeded, its output (nil otherwise).
func describe(params, result any) Call {
	var c Call
	switch in := params.(type) {
	case *dynamodb.QueryInput:
		c.Index, c.Limit = aws.ToString(in.IndexName), aws.ToInt32(in.Limit)
		c.Partition = partitionOf(in.KeyConditionExpression, in.ExpressionAttributeValues)
		c.Consistent = aws.ToBool(in.ConsistentRead)
		if out, ok := result.(*dynamodb.QueryOutput); ok && out != nil {
			c.Read = int(out.ScannedCount)
			c.ReadSizes = []int{itemsSize(out.Items)}
		}
	case *dynamodb.ScanInput:
		c.Index, c.Limit = aws.ToString(in.IndexName), aws.ToInt32(in.Limit)
		c.Consistent = aws.ToBool(in.ConsistentRead)
		if out, ok := result.(*dynamodb.ScanOutput); ok && out != nil {
			c.Read = int(out.ScannedCount)
			c.ReadSizes = []int{itemsSize(out.Items)}
		}
	case *eventbridge.PutEventsInput:
		for _, e := range in.Entries {
			c.DetailTypes = append(c.DetailTypes, aws.ToString(e.DetailType))
			c.EntryBytes = append(c.EntryBytes, entrySize(e))
		}
	default:
		if !describeGet(&c, params, result) {
			describeWrite(&c, params)
		}
	}
	addCapacity(&c, capacityOf(result)...)
	return c
}

// describeGet reads the items a get call asked for and returned; false
// when params is not a get.
func describeGet(c *Call, params, result any) bool {
	got := func(items ...map[string]types.AttributeValue) {
		for _, it := range items {
			if it != nil {
				c.Read++
				c.ReadSizes = append(c.ReadSizes, dynamostore.ItemSize(it))
			}
		}
	}
	asked := 0
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		asked, c.Consistent = 1, aws.ToBool(in.ConsistentRead)
		if out, ok := result.(*dynamodb.GetItemOutput); ok && out != nil {
			got(out.Item)
		}
	case *dynamodb.BatchGetItemInput:
		for _, ka := range in.RequestItems {
			asked += len(ka.Keys)
			c.Consistent = c.Consistent || aws.ToBool(ka.ConsistentRead)
		}
		if out, ok := result.(*dynamodb.BatchGetItemOutput); ok && out != nil {
			for _, items := range out.Responses {
				got(items...)
			}
			for _, ka := range out.UnprocessedKeys {
				asked -= len(ka.Keys) // asked again in a later call
			}
		}
	case *dynamodb.TransactGetItemsInput:
		asked, c.Consistent = len(in.TransactItems), true
		if out, ok := result.(*dynamodb.TransactGetItemsOutput); ok && out != nil {
			for _, r := range out.Responses {
				got(r.Item)
			}
		}
	default:
		return false
	}
	if result != nil {
		c.Missing = max(0, asked-c.Read)
	}
	return true
}

// entrySize is a PutEvents entry's size as EventBridge meters it: 14 bytes
// for the time, plus the source, detail type, detail and resources.
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	n := 14 + len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// describeWrite counts the items a DynamoDB write call puts, updates or
// deletes.
func describeWrite(c *Call, params any) {
	wrote := func(key map[string]types.AttributeValue, size int) {
		c.Written++
		c.Keys = append(c.Keys, keyOf(key))
		c.WriteSizes = append(c.WriteSizes, size)
	}
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		wrote(in.Item, dynamostore.ItemSize(in.Item))
	case *dynamodb.UpdateItemInput:
		wrote(in.Key, 0)
	case *dynamodb.DeleteItemInput:
		wrote(in.Key, 0)
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				switch {
				case r.PutRequest != nil:
					wrote(r.PutRequest.Item, dynamostore.ItemSize(r.PutRequest.Item))
				case r.DeleteRequest != nil:
					wrote(r.DeleteRequest.Key, 0)
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, t := range in.TransactItems {
			switch {
			case t.Put != nil:
				wrote(t.Put.Item, dynamostore.ItemSize(t.Put.Item))
			case t.Update != nil:
				wrote(t.Update.Key, 0)
			case t.Delete != nil:
				wrote(t.Delete.Key, 0)
			case t.ConditionCheck != nil:
				c.Read++
				c.Checked = append(c.Checked, keyOf(t.ConditionCheck.Key))
			}
		}
	}
}

// keyOf names an item of Muster's table by its keys, "<pk>|<sk>".
func keyOf(item map[string]types.AttributeValue) string {
	pk, ok := item[resources.AttrPK].(*types.AttributeValueMemberS)
	if !ok {
		return ""
	}
	sk := ""
	if v, ok := item[resources.AttrSK].(*types.AttributeValueMemberS); ok {
		sk = v.Value
	}
	return pk.Value + "|" + sk
}

var partitionCond = regexp.MustCompile(`^\(?\s*([#\w]+)\s*=\s*(:\w+)`)

// partitionOf is the partition-key value of a key condition
// ("#pk = :pk AND …").
func partitionOf(expr *string, vals map[string]types.AttributeValue) string {
	if expr == nil {
		return ""
	}
	m := partitionCond.FindStringSubmatch(*expr)
	if m == nil {
		return ""
	}
	if v, ok := vals[m[2]].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

const total = types.ReturnConsumedCapacityTotal

// askCapacity asks DynamoDB to report the capacity a call consumes.
func askCapacity(params any) {
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactGetItemsInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.ScanInput:
		in.ReturnConsumedCapacity = total
	}
}

// capacityOf is the ConsumedCapacity of a DynamoDB call's output.
func capacityOf(result any) []types.ConsumedCapacity {
	one := func(c *types.ConsumedCapacity) []types.ConsumedCapacity {
		if c == nil {
			return nil
		}
		return []types.ConsumedCapacity{*c}
	}
	switch out := result.(type) {
	case *dynamodb.PutItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.GetItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		return out.ConsumedCapacity
	case *dynamodb.BatchWriteItemOutput:
		return out.ConsumedCapacity
	case *dynamodb.TransactWriteItemsOutput:
		return out.ConsumedCapacity
	case *dynamodb.TransactGetItemsOutput:
		return out.ConsumedCapacity
	}
	return nil
}

// addCapacity adds consumed capacity to c. A figure given only as a total
// counts as writes for a write call and as reads otherwise.
func addCapacity(c *Call, cs ...types.ConsumedCapacity) {
	for _, x := range cs {
		r, w := aws.ToFloat64(x.ReadCapacityUnits), aws.ToFloat64(x.WriteCapacityUnits)
		if r == 0 && w == 0 && x.CapacityUnits != nil {
			if c.Written > 0 {
				w = *x.CapacityUnits
			} else {
				r = *x.CapacityUnits
			}
		}
		c.RCU += r
		c.WCU += w
	}
}

// itemsSize is the size of a query's or scan's items together, as
// DynamoDB sums them to bill the read.
func itemsSize(items []map[string]types.AttributeValue) int {
	n := 0
	for _, it := range items {
		n += dynamostore.ItemSize(it)
	}
	return n
}
