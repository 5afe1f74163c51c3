package gate

// PartInputs is run.inputs for the tests of the selective update: what the
// converge of part p writes, for spec and what a run learned (st).
func PartInputs(env Env, spec Spec, st Status, p Part) string {
	r := (&Manager{env: env}).newRun(spec, false)
	r.st = st
	return r.inputs(p)
}
