package mototest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SecureString stores value in a new SSM SecureString parameter on the
// server, as a deployment stores tokens and secrets, and returns its name.
func (s *Server) SecureString(t testing.TB, value string) string {
	t.Helper()
	name := "/" + UniqueName("muster-param")
	_, err := ssm.NewFromConfig(s.Config()).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Type: types.ParameterTypeSecureString, Value: aws.String(value)})
	if err != nil {
		t.Fatal(err)
	}
	return name
}
