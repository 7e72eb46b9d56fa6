// Policy checks over one parsed Terraform configuration (see terraform.mjs). Each returns the list of its
// violations as sentences; an empty list passes. Whatever the resolver cannot evaluate counts as the worst case.
import { UNKNOWN, asList, referencedName } from "./terraform.mjs";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const isWorld = (cidr) => cidr === UNKNOWN || WORLD.has(cidr);

/** The values an attribute takes: each.value expanded through the block's for_each; UNKNOWN when not resolvable. */
function attributeValues(c, body, attr) {
  if (!(attr in body)) return [];
  const p = c.possible(body[attr]);
  if (p === UNKNOWN) return [UNKNOWN];
  const out = [];
  for (const candidate of p) {
    for (const v of asList(candidate)) {
      if (v === "${each.value}" || v === "${each.key}") {
        const each = c.eachValues(body);
        if (each === UNKNOWN) out.push(UNKNOWN);
        else out.push(...each);
      } else if (typeof v === "string" && v.includes("${")) {
        const r = c.possible(v);
        out.push(...(r === UNKNOWN ? [UNKNOWN] : r.flat()));
      } else out.push(v);
    }
  }
  return out;
}

/** Security group name -> listener ports, for the security groups of application load balancers. */
function albListenerPorts(c) {
  const bySg = new Map();
  for (const [lbName, lb] of c.blocks("aws_lb")) {
    const type = lb.load_balancer_type === undefined ? "application" : c.value(lb.load_balancer_type);
    if (type !== "application") continue;
    const ports = new Set();
    for (const [, listener] of c.blocks("aws_lb_listener")) {
      if (referencedName(listener.load_balancer_arn, "aws_lb") !== lbName) continue;
      const p = c.value(listener.port);
      if (p !== UNKNOWN) ports.add(Number(p));
    }
    for (const sg of asList(lb.security_groups)) {
      const name = referencedName(sg, "aws_security_group");
      if (name) bySg.set(name, new Set([...(bySg.get(name) ?? []), ...ports]));
    }
  }
  return bySg;
}

/** No ingress from 0.0.0.0/0 or ::/0 except to an application load balancer's listener ports. */
export function openIngress(c) {
  const violations = [];
  const albPorts = albListenerPorts(c);
  const rules = [];
  for (const [name, r] of c.blocks("aws_vpc_security_group_ingress_rule")) {
    rules.push({
      where: `aws_vpc_security_group_ingress_rule.${name}`,
      sg: referencedName(r.security_group_id, "aws_security_group"),
      cidrs: [...attributeValues(c, r, "cidr_ipv4"), ...attributeValues(c, r, "cidr_ipv6")],
      protocol: c.value(r.ip_protocol),
      from: c.value(r.from_port),
      to: c.value(r.to_port),
    });
  }
  for (const [name, r] of c.blocks("aws_security_group_rule")) {
    if (c.value(r.type) === "egress") continue;
    rules.push({
      where: `aws_security_group_rule.${name}`,
      sg: referencedName(r.security_group_id, "aws_security_group"),
      cidrs: [...attributeValues(c, r, "cidr_blocks"), ...attributeValues(c, r, "ipv6_cidr_blocks")],
      protocol: c.value(r.protocol),
      from: c.value(r.from_port),
      to: c.value(r.to_port),
    });
  }
  for (const [name, sg] of c.blocks("aws_security_group")) {
    for (const [i, r] of asList(sg.ingress).entries()) {
      rules.push({
        where: `aws_security_group.${name} ingress #${i + 1}`,
        sg: name,
        cidrs: [...attributeValues(c, r, "cidr_blocks"), ...attributeValues(c, r, "ipv6_cidr_blocks")],
        protocol: c.value(r.protocol),
        from: c.value(r.from_port),
        to: c.value(r.to_port),
      });
    }
    if (sg.dynamic?.ingress) violations.push(`aws_security_group.${name}: dynamic ingress blocks cannot be checked`);
  }
  for (const r of rules) {
    const open = r.cidrs.filter(isWorld);
    if (open.length === 0) continue;
    const shown = open.map((x) => (x === UNKNOWN ? "an unresolvable CIDR" : x)).join(", ");
    const ports = r.sg ? albPorts.get(r.sg) : undefined;
    if (!ports) {
      violations.push(`${r.where}: ingress from ${shown} to a security group that is not an application load balancer's`);
    } else if (r.protocol === "-1" || r.protocol === "all" || r.from === UNKNOWN || r.from !== r.to || !ports.has(Number(r.from))) {
      violations.push(
        `${r.where}: ingress from ${shown} on ports ${r.from}-${r.to}/${r.protocol}, not a listener port of the load balancer (${[...ports].join(", ")})`,
      );
    }
  }
  return violations;
}

/** Launch templates and instances require IMDSv2 tokens; no launch configurations (they predate the option). */
export function imdsv2Required(c) {
  const violations = [];
  for (const type of ["aws_launch_template", "aws_instance"]) {
    for (const [name, body] of c.blocks(type)) {
      const options = asList(body.metadata_options)[0];
      const tokens = options ? c.value(options.http_tokens) : undefined;
      if (tokens !== "required") {
        violations.push(`${type}.${name}: metadata_options.http_tokens is ${tokens === UNKNOWN ? "not resolvable" : JSON.stringify(tokens)}, not "required" (IMDSv2)`);
      }
    }
  }
  for (const [name] of c.blocks("aws_launch_configuration")) {
    violations.push(`aws_launch_configuration.${name}: use a launch template with http_tokens = "required"`);
  }
  return violations;
}

/** Every EBS volume of a launch template is encrypted. */
export function encryptedVolumes(c) {
  const violations = [];
  for (const [name, body] of c.blocks("aws_launch_template")) {
    const mappings = asList(body.block_device_mappings);
    if (mappings.length === 0) violations.push(`aws_launch_template.${name}: no block_device_mappings (root volume encryption not set)`);
    for (const m of mappings) {
      for (const ebs of asList(m.ebs)) {
        if (c.value(ebs.encrypted) !== true) violations.push(`aws_launch_template.${name}: volume ${m.device_name} not encrypted`);
      }
    }
  }
  return violations;
}

function policyDocument(c, value) {
  const name = typeof value === "string" ? /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/.exec(value)?.[1] : null;
  return name ? [name, c.data.aws_iam_policy_document?.[name]] : [null, undefined];
}

/** Statements of a policy document, with the dynamic blocks' contents (and their iterator's values). */
function statements(c, doc) {
  const out = asList(doc.statement).map((s) => ({ s, iterator: null }));
  for (const d of asList(doc.dynamic?.statement)) {
    const values = c.eachValues({ for_each: d.for_each });
    for (const s of asList(d.content)) out.push({ s, iterator: values });
  }
  return out;
}

function principalsAll(st) {
  return asList(st.principals).some((p) => p.type === "*" || asList(p.identifiers).includes("*"));
}

/** Every S3 bucket: public access blocked (all four), encrypted, versioned, not public by ACL or policy. */
export function bucketPrivateEncrypted(c) {
  const violations = [];
  const refersTo = (body, bucket) => referencedName(body.bucket, "aws_s3_bucket") === bucket;
  for (const [bucket, body] of c.blocks("aws_s3_bucket")) {
    const where = `aws_s3_bucket.${bucket}`;
    const pab = c.blocks("aws_s3_bucket_public_access_block").find(([, b]) => refersTo(b, bucket));
    if (!pab) violations.push(`${where}: no aws_s3_bucket_public_access_block`);
    else {
      for (const k of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]) {
        if (c.value(pab[1][k]) !== true) violations.push(`${where}: public access block ${k} is not true`);
      }
    }
    const sse = c.blocks("aws_s3_bucket_server_side_encryption_configuration").find(([, b]) => refersTo(b, bucket));
    const algorithms = sse
      ? asList(sse[1].rule).flatMap((r) => asList(r.apply_server_side_encryption_by_default)).map((d) => c.possible(d.sse_algorithm))
      : [];
    if (algorithms.length === 0) violations.push(`${where}: no server-side encryption configuration`);
    for (const a of algorithms) {
      if (a === UNKNOWN || !a.every((x) => ["AES256", "aws:kms", "aws:kms:dsse"].includes(x))) {
        violations.push(`${where}: sse_algorithm ${a === UNKNOWN ? "not resolvable" : a.join("|")}`);
      }
    }
    const versioning = c.blocks("aws_s3_bucket_versioning").find(([, b]) => refersTo(b, bucket));
    const status = versioning ? asList(versioning[1].versioning_configuration).map((v) => c.value(v.status))[0] : undefined;
    if (status !== "Enabled") violations.push(`${where}: versioning not Enabled`);
    if ("acl" in body && c.value(body.acl) !== "private") violations.push(`${where}: acl ${body.acl}`);
    for (const [name, acl] of c.blocks("aws_s3_bucket_acl")) {
      if (refersTo(acl, bucket) && c.value(acl.acl) !== "private") violations.push(`aws_s3_bucket_acl.${name}: acl ${acl.acl}`);
    }
    for (const [name, pol] of c.blocks("aws_s3_bucket_policy")) {
      if (!refersTo(pol, bucket)) continue;
      const [docName, doc] = policyDocument(c, pol.policy);
      if (!doc) {
        violations.push(`aws_s3_bucket_policy.${name}: policy is not a data.aws_iam_policy_document (cannot be checked)`);
        continue;
      }
      for (const { s } of statements(c, doc)) {
        const effect = s.effect === undefined ? "Allow" : c.value(s.effect);
        if (effect !== "Deny" && principalsAll(s)) violations.push(`data.aws_iam_policy_document.${docName}: allows principal "*" on ${where}`);
      }
    }
  }
  return violations;
}

/** The adapter bucket's lifecycle: a rule on adapters/ that expires noncurrent versions. */
export function adapterLifecycle(c) {
  const violations = [];
  for (const [bucket] of c.blocks("aws_s3_bucket")) {
    const lc = c.blocks("aws_s3_bucket_lifecycle_configuration").find(([, b]) => referencedName(b.bucket, "aws_s3_bucket") === bucket);
    const ok = lc && asList(lc[1].rule).some(
      (r) =>
        c.value(r.status) === "Enabled" &&
        asList(r.filter).some((f) => c.value(f.prefix) === "adapters/") &&
        asList(r.noncurrent_version_expiration).some((n) => typeof c.value(n.noncurrent_days) === "number"),
    );
    if (!ok) violations.push(`aws_s3_bucket.${bucket}: no enabled lifecycle rule on adapters/ with noncurrent_version_expiration`);
  }
  return violations;
}

// Actions AWS does not scope by resource; allowed on "*" only with the named condition key.
const RESOURCELESS = { "cloudwatch:PutMetricData": "cloudwatch:namespace" };

/** A resource's shape: interpolations replaced by X. */
function shape(s) {
  return s.replace(/\$\{[^}]*\}/g, "X");
}

/** Quoted string templates inside an expression such as [for t in xs : "${...}/adapters/*"]. */
function templatesIn(expr) {
  const out = [];
  const inner = expr.slice(2, -1);
  let i = 0;
  while (i < inner.length) {
    if (inner[i] !== '"') { i++; continue; }
    let j = i + 1;
    let depth = 0;
    while (j < inner.length && !(inner[j] === '"' && depth === 0)) {
      if (inner[j] === "$" && inner[j + 1] === "{") { depth++; j++; }
      else if (inner[j] === "}" && depth > 0) depth--;
      else if (inner[j] === "\\") j++;
      j++;
    }
    out.push(inner.slice(i + 1, j));
    i = j + 1;
  }
  return out;
}

/**
 * IAM policy documents: Allow statements name their actions exactly (no "*" in any action, no not_actions) and
 * their resources (no "*" resource, no not_resources). The one wildcard allowed is the trailing "*" of an adapters/
 * key prefix; the one "*" resource allowed is for actions AWS cannot scope by resource (cloudwatch:PutMetricData),
 * and only with its condition key. Every policy attached is such a document (no inline JSON, no managed policies).
 */
export function iamLeastPrivilege(c) {
  const violations = [];
  for (const [docName, doc] of c.blocks("aws_iam_policy_document", "data")) {
    const where = `data.aws_iam_policy_document.${docName}`;
    for (const { s, iterator } of statements(c, doc)) {
      const effect = s.effect === undefined ? "Allow" : c.value(s.effect);
      if (effect === "Deny") continue;
      const label = `${where} statement ${s.sid ?? "(no sid)"}`;
      if (effect !== "Allow") violations.push(`${label}: effect not resolvable`);
      if (s.not_actions) violations.push(`${label}: not_actions`);
      if (s.not_resources) violations.push(`${label}: not_resources`);
      const actions = s.actions;
      if (!Array.isArray(actions) || actions.some((a) => typeof a !== "string" || a.includes("${"))) {
        violations.push(`${label}: actions are not a literal list`);
        continue;
      }
      for (const a of actions) if (a.includes("*")) violations.push(`${label}: action ${a}`);
      if (s.resources === undefined) {
        if (!asList(s.principals).length) violations.push(`${label}: no resources`);
        continue;
      }
      const resources = [];
      for (const r of asList(s.resources)) {
        if (typeof r !== "string") { violations.push(`${label}: resource ${JSON.stringify(r)}`); continue; }
        if (/^\$\{\s*\[?\s*for\s/.test(r)) resources.push(...templatesIn(r));
        else if (r === "${statement.value}") {
          if (iterator === UNKNOWN) violations.push(`${label}: resource ${r} not resolvable`);
          else resources.push(...(iterator ?? []).filter((v) => v !== null));
        } else if (/^\$\{local\.[A-Za-z0-9_]+\}$/.test(r) && typeof c.locals[r.slice(8, -1)] === "string") {
          resources.push(c.locals[r.slice(8, -1)]);
        } else if (/^\$\{var\.[A-Za-z0-9_]+\}$/.test(r)) {
          const v = c.value(r);
          if (v === UNKNOWN) violations.push(`${label}: resource ${r} not resolvable`);
          else resources.push(...asList(v));
        } else resources.push(r);
      }
      for (const r of resources) {
        const sh = shape(String(r));
        if (!sh.includes("*")) continue;
        if (sh === "*") {
          const key = RESOURCELESS[actions[0]];
          const scoped = key && actions.every((a) => RESOURCELESS[a] === key) && asList(s.condition).some((k) => k.variable === key);
          if (!scoped) violations.push(`${label}: resource "*" for ${actions.join(", ")}`);
        } else if (!(sh.endsWith("adapters/*") && sh.indexOf("*") === sh.length - 1)) {
          violations.push(`${label}: wildcard resource ${r}`);
        }
      }
    }
  }
  const policyAttrs = {
    aws_iam_role_policy: "policy",
    aws_iam_policy: "policy",
    aws_iam_user_policy: "policy",
    aws_iam_group_policy: "policy",
    aws_iam_role: "assume_role_policy",
  };
  for (const [type, attr] of Object.entries(policyAttrs)) {
    for (const [name, body] of c.blocks(type)) {
      if (attr in body && !policyDocument(c, body[attr])[1]) {
        violations.push(`${type}.${name}: ${attr} is not a data.aws_iam_policy_document of this configuration (cannot be checked)`);
      }
      if (type === "aws_iam_role" && (body.managed_policy_arns || body.inline_policy)) {
        violations.push(`aws_iam_role.${name}: managed_policy_arns/inline_policy cannot be checked`);
      }
    }
  }
  for (const type of ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role_policy_attachments_exclusive"]) {
    for (const [name] of c.blocks(type)) violations.push(`${type}.${name}: attached managed policies cannot be checked`);
  }
  return violations;
}

/** Every autoscaling group has a warm pool of stopped instances. */
export function warmPool(c) {
  const violations = [];
  for (const [name, body] of c.blocks("aws_autoscaling_group")) {
    const pool = asList(body.warm_pool)[0];
    if (!pool) violations.push(`aws_autoscaling_group.${name}: no warm_pool`);
    else if (c.value(pool.pool_state) !== "Stopped") violations.push(`aws_autoscaling_group.${name}: warm_pool.pool_state is ${pool.pool_state}, not "Stopped"`);
  }
  return violations;
}

/** min_size <= desired_capacity <= max_size, with the values the configuration gets. */
export function asgSizes(c) {
  const violations = [];
  for (const [name, body] of c.blocks("aws_autoscaling_group")) {
    const min = c.value(body.min_size);
    const max = c.value(body.max_size);
    const desired = body.desired_capacity === undefined ? min : c.value(body.desired_capacity);
    const where = `aws_autoscaling_group.${name}`;
    if ([min, max, desired].some((v) => typeof v !== "number")) {
      violations.push(`${where}: sizes not resolvable (min ${String(min)}, desired ${String(desired)}, max ${String(max)})`);
    } else if (!(min <= desired && desired <= max)) {
      violations.push(`${where}: min ${min} <= desired ${desired} <= max ${max} does not hold`);
    }
  }
  return violations;
}

/** Every variable has a non-empty description. */
export function variablesDescribed(c) {
  return Object.entries(c.variable)
    .filter(([, v]) => typeof v.description !== "string" || v.description.trim() === "")
    .map(([name]) => `variable "${name}" has no description`);
}

export const POLICIES = {
  "no ingress from 0.0.0.0/0 or ::/0 except the ALB listener": openIngress,
  "IMDSv2 required": imdsv2Required,
  "EBS volumes encrypted": encryptedVolumes,
  "S3 buckets private, encrypted and versioned": bucketPrivateEncrypted,
  "adapter lifecycle rule": adapterLifecycle,
  "IAM: no * in actions or resources": iamLeastPrivilege,
  "warm pool present": warmPool,
  "ASG min <= desired <= max": asgSizes,
  "every variable described": variablesDescribed,
};
