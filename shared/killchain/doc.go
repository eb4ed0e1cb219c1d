// Package killchain names the stages of an attack and maps every spelling
// Muster's sources use onto them.
//
// The canonical stages follow Microsoft Defender for Cloud's intents, in
// kill-chain order:
//
//	PreAttack, InitialAccess, Persistence, PrivilegeEscalation,
//	DefenseEvasion, CredentialAccess, Discovery, LateralMovement,
//	Execution, Collection, CommandAndControl, Exfiltration, Impact
//
// Unknown is a valid value but never counts as a stage. Parse accepts the
// canonical names (any case, with or without spaces, dashes or underscores),
// MITRE ATT&CK tactic names ("Command and Control") and ids ("TA0011"), and
// Defender's legacy intents: Reconnaissance and Resource Development map to
// PreAttack, Probing to PreAttack and Exploitation to InitialAccess.
//
// A Set holds stages without duplicates and lists them in kill-chain order:
//
//	s := killchain.NewSet(killchain.Impact, killchain.InitialAccess)
//	s.Stages() // [InitialAccess Impact]
package killchain
