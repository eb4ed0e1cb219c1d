// Formatting shared by the pages.

export const STAGES = ['PreAttack', 'InitialAccess', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion',
  'CredentialAccess', 'Discovery', 'LateralMovement', 'Execution', 'Collection', 'CommandAndControl',
  'Exfiltration', 'Impact'];

const STAGE_LABELS = {
  PreAttack: 'Pre-attack', InitialAccess: 'Initial access', Persistence: 'Persistence',
  PrivilegeEscalation: 'Privilege escalation', DefenseEvasion: 'Defense evasion',
  CredentialAccess: 'Credential access', Discovery: 'Discovery', LateralMovement: 'Lateral movement',
  Execution: 'Execution', Collection: 'Collection', CommandAndControl: 'Command and control',
  Exfiltration: 'Exfiltration', Impact: 'Impact', Unknown: 'Unknown',
};

export function stageLabel(s) { return STAGE_LABELS[s] || String(s || ''); }

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Informational'];
export const ALERT_STATUSES = ['Active', 'Resolved', 'Dismissed'];
export const INCIDENT_STATUSES = ['Active', 'InProgress', 'Resolved', 'Dismissed'];
export const CLASSIFICATIONS = ['TruePositive', 'BenignPositive', 'FalsePositive', 'Undetermined'];
export const PROVIDERS = ['guardduty', 'securityhub', 'defender', 'alertmanager', 'falco', 'ocsf', 'generic'];

const WORDS = {
  InProgress: 'In progress', TruePositive: 'True positive', BenignPositive: 'Benign positive',
  FalsePositive: 'False positive', guardduty: 'GuardDuty', securityhub: 'Security Hub',
  defender: 'Defender for Cloud', alertmanager: 'Alertmanager', falco: 'Falco', ocsf: 'OCSF',
  generic: 'Generic',
};
export function words(v) { return WORDS[v] || String(v ?? ''); }

// loadSources replaces the built-in source list (the defaults above, for a
// console without an API) with the API's registry (GET /sources): its
// order, names and display names.
export function loadSources(items) {
  if (!Array.isArray(items) || !items.length) return;
  PROVIDERS.splice(0, PROVIDERS.length, ...items.map((s) => s.name));
  for (const s of items) WORDS[s.name] = s.display;
}

export function when(v) {
  if (!v) return '—';
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 2) return '—';
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function resourceName(r) {
  if (!r) return '';
  return r.name || r.id || '';
}

// An item of GET /alerts?kind=all: an alert or an incident, flat with a
// "kind" member, or wrapped as {kind, alert} / {kind, incident}.
export function normItem(x) {
  if (x && x.incident && typeof x.incident === 'object') return { ...x.incident, kind: 'incident' };
  if (x && x.alert && typeof x.alert === 'object') return { ...x.alert, kind: 'alert' };
  return x;
}
export function isIncident(item) { return item && (item.kind === 'incident' || (!item.kind && item.alertCount !== undefined && item.title !== undefined)); }
export function itemName(item) { return item.name || item.title || item.type || item.id; }
export function itemTime(item) { return item.lastActivity || item.lastSeen || item.firstActivity || item.firstSeen; }

// The reason an alert joined an incident: a string or a membership object.
export function reasonText(a) {
  const r = a.reason ?? a.membership;
  if (!r) return '';
  if (typeof r === 'string') return r;
  if (r.reason) return r.reason;
  const parts = [];
  if (r.key) parts.push(`shares ${r.key}`);
  if (r.linkedTo) parts.push(`with alert ${r.linkedTo}`);
  if (r.stage) parts.push(`stage ${stageLabel(r.stage)}`);
  return parts.join(', ');
}
