// Package ssmparam reads SSM SecureString parameters for the settings
// that name one. It is apart from awsclient because importing the SSM
// client links its operation schemas (about 0.6 MB) into every function,
// whether it reads a parameter or not.
package ssmparam

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Reader returns a reader of SSM SecureString parameters, decrypted, for
// the settings that name one (auth.FromEnv, chatops.SettingsFromEnv).
// The client is created on first use, so deployments that name no
// parameter never build it.
func Reader(cfg aws.Config) func(ctx context.Context, name string) (string, error) {
	client := sync.OnceValue(func() *ssm.Client { return ssm.NewFromConfig(cfg) })
	return func(ctx context.Context, name string) (string, error) {
		out, err := client().GetParameter(ctx, &ssm.GetParameterInput{
			Name: aws.String(name), WithDecryption: aws.Bool(true),
		})
		if err != nil {
			return "", fmt.Errorf("get parameter: %w", err)
		}
		if out.Parameter == nil {
			return "", errors.New("get parameter: empty response")
		}
		return aws.ToString(out.Parameter.Value), nil
	}
}
