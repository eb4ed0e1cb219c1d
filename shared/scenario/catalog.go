package scenario

import (
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// on says which resource of a target a detection is about.
type on int

const (
	onInstance on = iota // the EC2 instance (or host) itself
	onRole               // the instance's IAM role (credentials, API calls)
	onBucket             // an S3 bucket
)

// detection is one catalogued alert type a source raises.
type detection struct {
	provider  string
	typ       string
	name      string
	stage     killchain.Stage
	severity  alert.Severity
	on        on
	attacker  bool // names the attacker's public IP
	host      bool // names the target's host name
	pivot     bool // names the previous target's host (lateral movement)
	hash      bool // names the campaign's malware hash
	technique string
}

// attack lists detections raised by campaigns, per stage.
var attack = map[killchain.Stage][]detection{
	killchain.PreAttack: {
		{provider: alert.ProviderGuardDuty, typ: "Recon:EC2/PortProbeUnprotectedPort", name: "Unprotected port on EC2 instance is being probed", stage: killchain.PreAttack, severity: alert.Low, attacker: true, technique: "T1595"},
		{provider: alert.ProviderDefender, typ: "VM_ScanningActivity", name: "Suspicious network scanning activity", stage: killchain.PreAttack, severity: alert.Low, attacker: true, host: true, technique: "T1046"},
	},
	killchain.InitialAccess: {
		{provider: alert.ProviderGuardDuty, typ: "UnauthorizedAccess:EC2/SSHBruteForce", name: "SSH brute force attacks against EC2 instance", stage: killchain.InitialAccess, severity: alert.Medium, attacker: true, technique: "T1110"},
		{provider: alert.ProviderAlertmanager, typ: "SSHAuthFailuresHigh", name: "High rate of SSH authentication failures", stage: killchain.InitialAccess, severity: alert.High, attacker: true, host: true, technique: "T1110"},
		{provider: alert.ProviderDefender, typ: "VM_SshBruteForceSuccess", name: "Successful SSH brute force attack", stage: killchain.InitialAccess, severity: alert.High, attacker: true, host: true, technique: "T1110.001"},
	},
	killchain.Execution: {
		{provider: alert.ProviderFalco, typ: "Terminal shell in container", name: "Terminal shell in container", stage: killchain.Execution, severity: alert.Medium, host: true, technique: "T1059"},
		{provider: alert.ProviderDefender, typ: "VM_SuspiciousCommandLine", name: "Suspicious command line execution", stage: killchain.Execution, severity: alert.High, host: true, hash: true, technique: "T1059.004"},
		{provider: alert.ProviderOCSF, typ: "Malicious script executed", name: "Malicious script executed", stage: killchain.Execution, severity: alert.High, host: true, hash: true, technique: "T1059"},
	},
	killchain.Persistence: {
		{provider: alert.ProviderFalco, typ: "Write below etc", name: "File below /etc opened for writing", stage: killchain.Persistence, severity: alert.High, host: true, technique: "T1543"},
		{provider: alert.ProviderFalco, typ: "Schedule Cron Jobs", name: "Cron jobs scheduled", stage: killchain.Persistence, severity: alert.Medium, host: true, technique: "T1053.003"},
	},
	killchain.PrivilegeEscalation: {
		{provider: alert.ProviderFalco, typ: "Sudo Potential Privilege Escalation", name: "Privilege escalation via sudo", stage: killchain.PrivilegeEscalation, severity: alert.Critical, host: true, technique: "T1548.003"},
		{provider: alert.ProviderGuardDuty, typ: "PrivilegeEscalation:IAMUser/AnomalousBehavior", name: "Anomalous privilege escalation API calls", stage: killchain.PrivilegeEscalation, severity: alert.Medium, on: onRole, attacker: true, technique: "T1098"},
	},
	killchain.DefenseEvasion: {
		{provider: alert.ProviderFalco, typ: "Clear Log Activities", name: "Log files cleared", stage: killchain.DefenseEvasion, severity: alert.High, host: true, technique: "T1070"},
		{provider: alert.ProviderSecurityHub, typ: "TTPs/Defense Evasion/CloudTrail logging disabled", name: "CloudTrail logging was stopped", stage: killchain.DefenseEvasion, severity: alert.High, on: onRole, attacker: true, technique: "T1562.008"},
	},
	killchain.CredentialAccess: {
		{provider: alert.ProviderFalco, typ: "Read sensitive file untrusted", name: "Sensitive file read by untrusted program", stage: killchain.CredentialAccess, severity: alert.High, host: true, technique: "T1003.008"},
		{provider: alert.ProviderOCSF, typ: "Credential dumping detected", name: "Credential dumping detected", stage: killchain.CredentialAccess, severity: alert.High, host: true, hash: true, technique: "T1003"},
	},
	killchain.Discovery: {
		{provider: alert.ProviderGuardDuty, typ: "Discovery:IAMUser/AnomalousBehavior", name: "Anomalous discovery API calls", stage: killchain.Discovery, severity: alert.Low, on: onRole, attacker: true, technique: "T1087"},
		{provider: alert.ProviderSecurityHub, typ: "TTPs/Discovery/IAM enumeration", name: "IAM enumeration from unusual location", stage: killchain.Discovery, severity: alert.Medium, on: onRole, attacker: true, technique: "T1069"},
	},
	killchain.LateralMovement: {
		{provider: alert.ProviderDefender, typ: "VM_LateralMovementSsh", name: "Suspicious SSH connection from an internal host", stage: killchain.LateralMovement, severity: alert.High, host: true, pivot: true, technique: "T1021.004"},
		{provider: alert.ProviderFalco, typ: "Outbound SSH from container", name: "SSH connection to another host", stage: killchain.LateralMovement, severity: alert.Medium, host: true, pivot: true, technique: "T1021.004"},
	},
	killchain.Collection: {
		{provider: alert.ProviderOCSF, typ: "Archive of sensitive data created", name: "Archive of sensitive data created", stage: killchain.Collection, severity: alert.Medium, host: true, technique: "T1560"},
	},
	killchain.CommandAndControl: {
		{provider: alert.ProviderGuardDuty, typ: "Backdoor:EC2/C&CActivity.B!DNS", name: "EC2 instance queried a command and control domain", stage: killchain.CommandAndControl, severity: alert.High, attacker: true, technique: "T1071.004"},
		{provider: alert.ProviderFalco, typ: "Outbound Connection to C2 Servers", name: "Outbound connection to a known C2 server", stage: killchain.CommandAndControl, severity: alert.Critical, host: true, attacker: true, technique: "T1071"},
	},
	killchain.Exfiltration: {
		{provider: alert.ProviderGuardDuty, typ: "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", name: "Instance credentials used from outside AWS", stage: killchain.Exfiltration, severity: alert.High, on: onRole, attacker: true, technique: "T1552.005"},
		{provider: alert.ProviderAlertmanager, typ: "EgressTrafficAnomaly", name: "Unusual outbound data volume", stage: killchain.Exfiltration, severity: alert.High, host: true, attacker: true, technique: "T1048"},
		{provider: alert.ProviderGuardDuty, typ: "Exfiltration:S3/AnomalousBehavior", name: "Anomalous S3 data access", stage: killchain.Exfiltration, severity: alert.High, on: onBucket, attacker: true, technique: "T1530"},
	},
	killchain.Impact: {
		{provider: alert.ProviderGuardDuty, typ: "CryptoCurrency:EC2/BitcoinTool.B!DNS", name: "EC2 instance querying a cryptocurrency domain", stage: killchain.Impact, severity: alert.High, attacker: false, technique: "T1496"},
		{provider: alert.ProviderDefender, typ: "VM_CryptoMiningActivity", name: "Crypto-mining activity detected", stage: killchain.Impact, severity: alert.High, host: true, hash: true, technique: "T1496"},
	},
}

// firstPath and laterPath are the kill-chain steps on a campaign's first
// target and on each target it moves to. Execution is on every path so the
// target's host name is named before the attacker pivots from it.
var (
	firstPath = []killchain.Stage{killchain.PreAttack, killchain.InitialAccess, killchain.Execution,
		killchain.Persistence, killchain.PrivilegeEscalation, killchain.DefenseEvasion,
		killchain.CredentialAccess, killchain.Discovery, killchain.CommandAndControl,
		killchain.Exfiltration, killchain.Impact}
	laterPath = []killchain.Stage{killchain.LateralMovement, killchain.Execution,
		killchain.CredentialAccess, killchain.Collection, killchain.Exfiltration}
)

// noise lists single-stage detections raised by benign activity.
var noise = []detection{
	{provider: alert.ProviderGuardDuty, typ: "Recon:EC2/Portscan", name: "EC2 instance is performing outbound port scans", stage: killchain.PreAttack, severity: alert.Medium},
	{provider: alert.ProviderGuardDuty, typ: "Policy:S3/BucketBlockPublicAccessDisabled", name: "S3 Block Public Access was disabled", stage: killchain.Unknown, severity: alert.Low, on: onBucket},
	{provider: alert.ProviderGuardDuty, typ: "UnauthorizedAccess:EC2/TorClient", name: "EC2 instance is making connections to Tor", stage: killchain.InitialAccess, severity: alert.High},
	{provider: alert.ProviderSecurityHub, typ: "Software and Configuration Checks/Vulnerabilities/CVE", name: "Package vulnerability CVE found", stage: killchain.Unknown, severity: alert.Medium},
	{provider: alert.ProviderSecurityHub, typ: "TTPs/Discovery/Unusual API call", name: "Unusual API call", stage: killchain.Discovery, severity: alert.Low, on: onRole},
	{provider: alert.ProviderAlertmanager, typ: "SSHAuthFailuresHigh", name: "High rate of SSH authentication failures", stage: killchain.InitialAccess, severity: alert.Medium, host: true},
	{provider: alert.ProviderAlertmanager, typ: "UnexpectedListeningPort", name: "Unexpected listening port", stage: killchain.Persistence, severity: alert.Low, host: true},
	{provider: alert.ProviderFalco, typ: "Launch Package Management Process in Container", name: "Package management process launched in container", stage: killchain.Persistence, severity: alert.Low, host: true},
	{provider: alert.ProviderFalco, typ: "Contact K8S API Server From Container", name: "Unexpected connection to the K8s API server", stage: killchain.Discovery, severity: alert.Medium, host: true},
	{provider: alert.ProviderDefender, typ: "VM_SuspiciousActivity", name: "Suspicious process executed", stage: killchain.Execution, severity: alert.Medium, host: true},
	{provider: alert.ProviderOCSF, typ: "Suspicious DNS query", name: "Suspicious DNS query", stage: killchain.CommandAndControl, severity: alert.Low, host: true},
	{provider: alert.ProviderOCSF, typ: "Unusual login location", name: "Unusual login location", stage: killchain.InitialAccess, severity: alert.Low, on: onRole},
}

// scan is the probe a scanner raises on every resource it touches.
var scan = detection{provider: alert.ProviderGuardDuty, typ: "Recon:EC2/PortProbeUnprotectedPort",
	name: "Unprotected port on EC2 instance is being probed", stage: killchain.PreAttack,
	severity: alert.Low, attacker: true, technique: "T1595"}
