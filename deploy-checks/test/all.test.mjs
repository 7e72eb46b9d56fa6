// One process for every check: hcl2json's WebAssembly parser then starts once (a few seconds) instead of per file.
import "./terraform-policies.mjs";
import "./policies-can-fail.mjs";
import "./user-data.mjs";
import "./load-tests.mjs";
import "./gatling-port.mjs";
