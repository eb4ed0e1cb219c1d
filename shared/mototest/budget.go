package mototest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// ErrQueryBudget is what a DynamoDB Query past a QueryBudget fails with.
var ErrQueryBudget = errors.New("test query budget exhausted")

// QueryBudget returns a DynamoDB client option that fails every Query
// after the first n with ErrQueryBudget, so a store that walks too many
// partitions fails at once instead of querying for minutes.
func QueryBudget(n int32) func(*dynamodb.Options) {
	var used atomic.Int32
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("TestQueryBudget",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if _, ok := in.Parameters.(*dynamodb.QueryInput); ok && used.Add(1) > n {
						return middleware.InitializeOutput{}, middleware.Metadata{}, ErrQueryBudget
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}
