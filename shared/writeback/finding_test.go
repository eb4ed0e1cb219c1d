package writeback

import (
	"errors"
	"testing"

	"github.com/muster-sec/muster/shared/alert"
)

func TestFindingOf(t *testing.T) {
	const gdARN = "arn:aws:guardduty:eu-west-1:123456789012:detector/d0abc/finding/f123"
	tests := []struct {
		name string
		a    alert.Alert
		want Finding
		err  error
	}{
		{"guardduty from its ARN", alert.Alert{ID: "a1", Provider: alert.ProviderGuardDuty, SourceID: gdARN},
			Finding{AlertID: "a1", Provider: "guardduty", ID: gdARN, ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
				Region: "eu-west-1", Detector: "d0abc", GuardDutyID: "f123"}, nil},
		{"guardduty copy keeps its raw ProductArn", alert.Alert{ID: "a2", Provider: alert.ProviderGuardDuty, SourceID: gdARN,
			Raw: []byte(`{"ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/guardduty","Id":"x"}`)},
			Finding{AlertID: "a2", Provider: "guardduty", ID: gdARN, ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
				Region: "eu-west-1", Detector: "d0abc", GuardDutyID: "f123"}, nil},
		{"guardduty id without ARN", alert.Alert{ID: "a3", Provider: alert.ProviderGuardDuty, SourceID: "f123"}, Finding{}, ErrNoIdentity},
		{"security hub from raw", alert.Alert{ID: "a4", Provider: alert.ProviderSecurityHub, SourceID: "vendor-finding-9",
			Raw: []byte(`{"ProductArn":"arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"}`)},
			Finding{AlertID: "a4", Provider: "securityhub", ID: "vendor-finding-9",
				ProductArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default", Region: "us-east-1"}, nil},
		{"security hub control finding, raw dropped", alert.Alert{ID: "a5", Provider: alert.ProviderSecurityHub, RawTruncated: true,
			SourceID: "arn:aws:securityhub:us-east-1:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.1/finding/abc"},
			Finding{AlertID: "a5", Provider: "securityhub", ID: "arn:aws:securityhub:us-east-1:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.1/finding/abc",
				ProductArn: "arn:aws:securityhub:us-east-1::product/aws/securityhub", Region: "us-east-1"}, nil},
		{"security hub without product", alert.Alert{ID: "a6", Provider: alert.ProviderSecurityHub, SourceID: "plain-id"}, Finding{}, ErrNoIdentity},
		{"other provider", alert.Alert{ID: "a7", Provider: alert.ProviderFalco, SourceID: "x"}, Finding{}, ErrNoIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindingOf(tc.a)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Errorf("FindingOf = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
