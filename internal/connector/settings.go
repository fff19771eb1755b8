package connector

// Setting is one setting of a provider, as people read it in --help and the
// README.
type Setting struct {
	Name string
	// Default is what applies when the setting is not given, in words;
	// "required" when it must be given.
	Default string
	Help    string
	// Of says who gives it: the integration (--setting), the connection
	// (--config), or either, the connection's winning.
	Of Scope
}

// Scope says where a setting is given.
type Scope int

const (
	OfConnection Scope = 1 << iota
	OfIntegration
	OfEither = OfConnection | OfIntegration
)

// Required is the Default of a setting that must be given.
const Required = "required"

// Documented is a connector that lists the settings it reads.
type Documented interface {
	Settings() []Setting
}
