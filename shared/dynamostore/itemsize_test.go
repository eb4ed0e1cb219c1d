package dynamostore

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestItemSize(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"string counts name and UTF-8 bytes", map[string]types.AttributeValue{"pk": s("ALERT#é")}, 2 + 8},
		{"number: pairs of significant digits plus one", map[string]types.AttributeValue{"n": n("12345")}, 1 + 4},
		{"number: zeros are not significant", map[string]types.AttributeValue{"n": n("1200.00")}, 1 + 2},
		{"negative number adds a byte", map[string]types.AttributeValue{"n": n("-7")}, 1 + 3},
		{"bool and null are one byte", map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}, 2 + 2},
		{"empty map is 3 bytes", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}, 1 + 3},
		{"map: 3 bytes, one per element, names and values", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ab": s("xyz")}}}, 1 + 3 + 1 + 2 + 3},
		{"list: 3 bytes, one per element", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), s("bc")}}}, 1 + 3 + 2 + 3},
		{"string set sums its members", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bcd"}}}, 2 + 4},
		{"1,024 bytes", map[string]types.AttributeValue{"d": s(strings.Repeat("x", 1023))}, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ItemSize(tt.item); got != tt.want {
				t.Errorf("ItemSize = %d, want %d", got, tt.want)
			}
		})
	}
}
