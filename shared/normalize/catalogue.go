package normalize

import (
	"strings"

	"github.com/muster-sec/muster/shared/killchain"
)

// detection is what the GuardDuty catalogue knows about a finding type.
type detection struct {
	stages     []killchain.Stage
	techniques []string
}

const (
	pre   = killchain.PreAttack
	ia    = killchain.InitialAccess
	pers  = killchain.Persistence
	pe    = killchain.PrivilegeEscalation
	de    = killchain.DefenseEvasion
	ca    = killchain.CredentialAccess
	disc  = killchain.Discovery
	lm    = killchain.LateralMovement
	exec  = killchain.Execution
	coll  = killchain.Collection
	c2    = killchain.CommandAndControl
	exfil = killchain.Exfiltration
	imp   = killchain.Impact
)

func d(stages []killchain.Stage, techniques ...string) detection {
	return detection{stages: stages, techniques: techniques}
}

func st(s ...killchain.Stage) []killchain.Stage { return s }

// guardDutyCatalogue maps GuardDuty finding types to kill-chain stages and
// ATT&CK techniques, following GuardDuty's finding-type documentation. Types
// not listed fall back to their ThreatPurpose prefix (threatPurpose).
var guardDutyCatalogue = map[string]detection{
	// EC2
	"Recon:EC2/PortProbeUnprotectedPort":                 d(st(pre), "T1595"),
	"Recon:EC2/PortProbeEMRUnprotectedPort":              d(st(pre), "T1595"),
	"Recon:EC2/Portscan":                                 d(st(disc), "T1046"),
	"UnauthorizedAccess:EC2/SSHBruteForce":               d(st(ia, ca), "T1110"),
	"UnauthorizedAccess:EC2/RDPBruteForce":               d(st(ia, ca), "T1110"),
	"UnauthorizedAccess:EC2/TorClient":                   d(st(c2), "T1090.003"),
	"UnauthorizedAccess:EC2/TorRelay":                    d(st(c2), "T1090.003"),
	"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom":    d(st(c2), "T1071"),
	"UnauthorizedAccess:EC2/MetadataDNSRebind":           d(st(ca), "T1552.005"),
	"Backdoor:EC2/C&CActivity.B":                         d(st(c2), "T1071"),
	"Backdoor:EC2/C&CActivity.B!DNS":                     d(st(c2), "T1071.004"),
	"Backdoor:EC2/DenialOfService.Dns":                   d(st(imp), "T1498"),
	"Backdoor:EC2/DenialOfService.Tcp":                   d(st(imp), "T1498"),
	"Backdoor:EC2/DenialOfService.Udp":                   d(st(imp), "T1498"),
	"Backdoor:EC2/DenialOfService.UdpOnTcpPorts":         d(st(imp), "T1498"),
	"Backdoor:EC2/DenialOfService.UnusualProtocol":       d(st(imp), "T1498"),
	"Backdoor:EC2/Spambot":                               d(st(imp)),
	"Behavior:EC2/NetworkPortUnusual":                    d(st(c2), "T1571"),
	"Behavior:EC2/TrafficVolumeUnusual":                  d(st(exfil), "T1048"),
	"CryptoCurrency:EC2/BitcoinTool.B":                   d(st(imp), "T1496"),
	"CryptoCurrency:EC2/BitcoinTool.B!DNS":               d(st(imp), "T1496"),
	"DefenseEvasion:EC2/UnusualDNSResolver":              d(st(de), "T1568"),
	"DefenseEvasion:EC2/UnusualDoHActivity":              d(st(de), "T1572"),
	"DefenseEvasion:EC2/UnusualDoTActivity":              d(st(de), "T1572"),
	"Impact:EC2/AbusedDomainRequest.Reputation":          d(st(imp)),
	"Impact:EC2/BitcoinDomainRequest.Reputation":         d(st(imp), "T1496"),
	"Impact:EC2/MaliciousDomainRequest.Reputation":       d(st(imp)),
	"Impact:EC2/PortSweep":                               d(st(disc), "T1046"),
	"Impact:EC2/SuspiciousDomainRequest.Reputation":      d(st(imp)),
	"Impact:EC2/WinRMBruteForce":                         d(st(ia, ca), "T1110"),
	"Trojan:EC2/BlackholeTraffic":                        d(st(c2)),
	"Trojan:EC2/BlackholeTraffic!DNS":                    d(st(c2)),
	"Trojan:EC2/DGADomainRequest.B":                      d(st(c2), "T1568.002"),
	"Trojan:EC2/DGADomainRequest.C!DNS":                  d(st(c2), "T1568.002"),
	"Trojan:EC2/DNSDataExfiltration":                     d(st(exfil), "T1048"),
	"Trojan:EC2/DriveBySourceTraffic!DNS":                d(st(ia), "T1189"),
	"Trojan:EC2/DropPoint":                               d(st(exfil)),
	"Trojan:EC2/DropPoint!DNS":                           d(st(exfil)),
	"Trojan:EC2/PhishingDomainRequest!DNS":               d(st(ia), "T1566"),
	"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom!DN": d(st(c2)),
	// IAM
	"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS": d(st(ca, exfil), "T1552.005"),
	"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS":  d(st(ca, exfil), "T1552.005"),
	"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B":                     d(st(ia), "T1078"),
	"UnauthorizedAccess:IAMUser/MaliciousIPCaller":                         d(st(ia), "T1078"),
	"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom":                  d(st(ia), "T1078"),
	"UnauthorizedAccess:IAMUser/TorIPCaller":                               d(st(ia), "T1078"),
	"CredentialAccess:IAMUser/AnomalousBehavior":                           d(st(ca)),
	"DefenseEvasion:IAMUser/AnomalousBehavior":                             d(st(de), "T1562"),
	"Discovery:IAMUser/AnomalousBehavior":                                  d(st(disc), "T1087"),
	"Exfiltration:IAMUser/AnomalousBehavior":                               d(st(exfil)),
	"Impact:IAMUser/AnomalousBehavior":                                     d(st(imp)),
	"InitialAccess:IAMUser/AnomalousBehavior":                              d(st(ia), "T1078"),
	"Persistence:IAMUser/AnomalousBehavior":                                d(st(pers), "T1098"),
	"PrivilegeEscalation:IAMUser/AnomalousBehavior":                        d(st(pe), "T1098"),
	"PenTest:IAMUser/KaliLinux":                                            d(st(disc)),
	"PenTest:IAMUser/ParrotLinux":                                          d(st(disc)),
	"PenTest:IAMUser/PentooLinux":                                          d(st(disc)),
	"Policy:IAMUser/RootCredentialUsage":                                   d(st(pe), "T1078.004"),
	"Policy:IAMUser/ShortTermRootCredentialUsage":                          d(st(pe), "T1078.004"),
	"Recon:IAMUser/MaliciousIPCaller":                                      d(st(disc), "T1087"),
	"Recon:IAMUser/MaliciousIPCaller.Custom":                               d(st(disc), "T1087"),
	"Recon:IAMUser/TorIPCaller":                                            d(st(disc), "T1087"),
	"Stealth:IAMUser/CloudTrailLoggingDisabled":                            d(st(de), "T1562.008"),
	"Stealth:IAMUser/PasswordPolicyChange":                                 d(st(de)),
	// S3
	"Discovery:S3/AnomalousBehavior":                 d(st(disc), "T1619"),
	"Discovery:S3/MaliciousIPCaller":                 d(st(disc), "T1619"),
	"Discovery:S3/TorIPCaller":                       d(st(disc), "T1619"),
	"Exfiltration:S3/AnomalousBehavior":              d(st(exfil), "T1530"),
	"Exfiltration:S3/MaliciousIPCaller":              d(st(exfil), "T1530"),
	"Impact:S3/AnomalousBehavior.Delete":             d(st(imp), "T1485"),
	"Impact:S3/AnomalousBehavior.Permission":         d(st(imp)),
	"Impact:S3/AnomalousBehavior.Write":              d(st(imp), "T1565"),
	"Impact:S3/MaliciousIPCaller":                    d(st(imp)),
	"Policy:S3/AccountBlockPublicAccessDisabled":     d(st(de)),
	"Policy:S3/BucketAnonymousAccessGranted":         d(st(de)),
	"Policy:S3/BucketBlockPublicAccessDisabled":      d(st(de)),
	"Policy:S3/BucketPublicAccessGranted":            d(st(de)),
	"Stealth:S3/ServerAccessLoggingDisabled":         d(st(de), "T1562.008"),
	"UnauthorizedAccess:S3/MaliciousIPCaller.Custom": d(st(ia)),
	"UnauthorizedAccess:S3/TorIPCaller":              d(st(ia)),
	// EKS / Kubernetes
	"Execution:Kubernetes/ExecInKubeSystemPod":             d(st(exec), "T1609"),
	"PrivilegeEscalation:Kubernetes/PrivilegedContainer":   d(st(pe), "T1611"),
	"Persistence:Kubernetes/ContainerWithSensitiveMount":   d(st(pers, pe), "T1611"),
	"Policy:Kubernetes/AdminAccessToDefaultServiceAccount": d(st(pe)),
	"Policy:Kubernetes/AnonymousAccessGranted":             d(st(ia)),
	"Policy:Kubernetes/ExposedDashboard":                   d(st(ia)),
	"Discovery:Kubernetes/SuccessfulAnonymousAccess":       d(st(disc)),
	"CredentialAccess:Kubernetes/MaliciousIPCaller":        d(st(ca)),
	// Runtime monitoring
	"Execution:Runtime/NewBinaryExecuted":                      d(st(exec), "T1059"),
	"Execution:Runtime/ReverseShell":                           d(st(exec, c2), "T1059"),
	"Execution:Runtime/SuspiciousShellCreated":                 d(st(exec), "T1059"),
	"PrivilegeEscalation:Runtime/ContainerMountsHostDirectory": d(st(pe), "T1611"),
	"PrivilegeEscalation:Runtime/DockerSocketAccessed":         d(st(pe), "T1611"),
	"DefenseEvasion:Runtime/ProcessInjection.Proc":             d(st(de, pe), "T1055"),
	"CryptoCurrency:Runtime/BitcoinTool.B!DNS":                 d(st(imp), "T1496"),
	"Backdoor:Runtime/C&CActivity.B!DNS":                       d(st(c2), "T1071.004"),
	// Malware protection
	"Execution:EC2/MaliciousFile":        d(st(exec), "T1204"),
	"Execution:ECS/MaliciousFile":        d(st(exec), "T1204"),
	"Execution:Kubernetes/MaliciousFile": d(st(exec), "T1204"),
	"Execution:Container/MaliciousFile":  d(st(exec), "T1204"),
	"Execution:EC2/SuspiciousFile":       d(st(exec), "T1204"),
	"Object:S3/MaliciousFile":            d(st(exec), "T1204"),
	// RDS
	"CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce": d(st(ca, ia), "T1110"),
	"CredentialAccess:RDS/AnomalousBehavior.FailedLogin":          d(st(ca), "T1110"),
	"CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin":      d(st(ca, ia), "T1078"),
	"Discovery:RDS/MaliciousIPCaller":                             d(st(disc)),
	// Attack sequences (stages come from the finding's own indicators too)
	"AttackSequence:IAM/CompromisedCredentials":   d(st(ca)),
	"AttackSequence:S3/CompromisedData":           d(st(ca, exfil)),
	"AttackSequence:EKS/CompromisedCluster":       d(st(exec)),
	"AttackSequence:ECS/CompromisedCluster":       d(st(exec)),
	"AttackSequence:EC2/CompromisedInstanceGroup": d(st(exec)),
}

// threatPurposeStage maps the ThreatPurpose prefix of a GuardDuty type to a
// stage when the type is not catalogued.
var threatPurposeStage = map[string]killchain.Stage{
	"Recon":              pre,
	"UnauthorizedAccess": ia,
	"Backdoor":           c2,
	"Trojan":             c2,
	"CryptoCurrency":     imp,
	"Stealth":            de,
	"PenTest":            disc,
	"Policy":             killchain.Unknown,
	"Behavior":           killchain.Unknown,
	"Object":             killchain.Unknown,
	"AttackSequence":     killchain.Unknown,
}

// guardDutyDetection returns the stages and techniques of a GuardDuty
// finding type: the catalogue entry, else the ThreatPurpose prefix
// (ATT&CK-named purposes such as "Discovery" map to themselves).
func guardDutyDetection(typ string) detection {
	if det, ok := guardDutyCatalogue[typ]; ok {
		return det
	}
	purpose, _, _ := strings.Cut(typ, ":")
	if s, ok := threatPurposeStage[purpose]; ok {
		if s == killchain.Unknown {
			return detection{}
		}
		return detection{stages: []killchain.Stage{s}}
	}
	if s, ok := killchain.Parse(purpose); ok && s.Counts() {
		return detection{stages: []killchain.Stage{s}}
	}
	return detection{}
}
