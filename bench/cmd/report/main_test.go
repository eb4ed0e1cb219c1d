package main

import (
	"reflect"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	tests := []struct {
		in      string
		want    []uint64
		wantErr bool
	}{
		{"101-105", []uint64{101, 102, 103, 104, 105}, false},
		{"7", []uint64{7}, false},
		{"3, 9,4", []uint64{3, 9, 4}, false},
		{"none", nil, false},
		{"", nil, false},
		{"5-1", nil, true},
		{"a-b", nil, true},
		{"1,x", nil, true},
	}
	for _, tt := range tests {
		got, err := parseSeeds(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseSeeds(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
