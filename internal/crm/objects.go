package crm

import (
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// Derived properties: the hub keeps them, clients only read them.
const (
	PropID               = "hs_object_id"
	PropCreateDate       = "createdate"
	PropLastModified     = "lastmodifieddate"
	PropHSLastModified   = "hs_lastmodifieddate"
	contactsType         = "contacts"
	maxPropertyValueSize = 65536
)

// PropEmail is the property whose values the hub stores folded.
const PropEmail = "email"

// ObjectType describes one CRM object type and the HubSpot properties it has
// from the start.
type ObjectType struct {
	Name     string // contacts
	TypeID   string // 0-1, HubSpot's object type id
	Singular string
	// ModifiedProp is the last-modified property HubSpot names for this type;
	// the other spelling is accepted too.
	ModifiedProp string
	// DefaultProps are returned when a read names none.
	DefaultProps []string
	// TextProps are what a search's free-text query looks in.
	TextProps []string
	// Indexed properties get a lookup index; Unique ones allow one live
	// record per value.
	Indexed, Unique []string
	Builtin         []store.Property
}

var objectTypes = []*ObjectType{contacts, companies, deals}

// LookupType finds an object type by name (contacts), singular (contact) or
// HubSpot type id (0-1).
func LookupType(name string) (*ObjectType, error) {
	n := strings.ToLower(name)
	for _, t := range objectTypes {
		if n == t.Name || n == t.Singular || n == t.TypeID {
			return t, nil
		}
	}
	return nil, invalid(CodeUnknownObjectType, "Unable to infer object type from: %s. Known object types are contacts, companies and deals.", name).with("objectType", name)
}

func prop(name, label, typ, fieldType, group string, options ...string) store.Property {
	p := store.Property{Name: name, Label: label, Type: typ, FieldType: fieldType, GroupName: group}
	for i, o := range options {
		value, label, _ := strings.Cut(o, "=")
		p.Options = append(p.Options, store.Option{Label: label, Value: value, DisplayOrder: i})
	}
	return p
}

func text(name, label, group string) store.Property {
	return prop(name, label, "string", "text", group)
}

func derived(group, modified string) []store.Property {
	return []store.Property{
		prop(PropID, "Record ID", "number", "number", group),
		prop(PropCreateDate, "Create Date", "datetime", "date", group),
		prop(modified, "Last Modified Date", "datetime", "date", group),
	}
}

var contacts = &ObjectType{
	Name: "contacts", TypeID: "0-1", Singular: "contact", ModifiedProp: PropLastModified,
	DefaultProps: []string{PropCreateDate, "email", "firstname", PropID, PropLastModified, "lastname"},
	TextProps:    []string{"firstname", "lastname", "email", "phone", "company", "website"},
	Unique:       []string{"email"},
	Builtin: append([]store.Property{
		text("email", "Email", "contactinformation"),
		text("firstname", "First Name", "contactinformation"),
		text("lastname", "Last Name", "contactinformation"),
		prop("phone", "Phone Number", "string", "phonenumber", "contactinformation"),
		prop("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation"),
		text("company", "Company Name", "contactinformation"),
		text("website", "Website URL", "contactinformation"),
		text("jobtitle", "Job Title", "contactinformation"),
		text("address", "Street Address", "contactinformation"),
		text("city", "City", "contactinformation"),
		text("state", "State/Region", "contactinformation"),
		text("zip", "Postal Code", "contactinformation"),
		text("country", "Country/Region", "contactinformation"),
		prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation",
			"subscriber=Subscriber", "lead=Lead", "marketingqualifiedlead=Marketing Qualified Lead",
			"salesqualifiedlead=Sales Qualified Lead", "opportunity=Opportunity", "customer=Customer",
			"evangelist=Evangelist", "other=Other"),
	}, derived("contactinformation", PropLastModified)...),
}

var companies = &ObjectType{
	Name: "companies", TypeID: "0-2", Singular: "company", ModifiedProp: PropHSLastModified,
	DefaultProps: []string{PropCreateDate, "domain", PropHSLastModified, PropID, "name"},
	TextProps:    []string{"name", "domain", "website", "phone"},
	Indexed:      []string{"domain", "name"},
	Builtin: append([]store.Property{
		text("name", "Company name", "companyinformation"),
		text("domain", "Company Domain Name", "companyinformation"),
		text("website", "Website URL", "companyinformation"),
		text("industry", "Industry", "companyinformation"),
		prop("phone", "Phone Number", "string", "phonenumber", "companyinformation"),
		text("address", "Street Address", "companyinformation"),
		text("city", "City", "companyinformation"),
		text("state", "State/Region", "companyinformation"),
		text("zip", "Postal Code", "companyinformation"),
		text("country", "Country/Region", "companyinformation"),
		prop("description", "Description", "string", "textarea", "companyinformation"),
		prop("numberofemployees", "Number of Employees", "number", "number", "companyinformation"),
		prop("annualrevenue", "Annual Revenue", "number", "number", "companyinformation"),
		prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation",
			"subscriber=Subscriber", "lead=Lead", "marketingqualifiedlead=Marketing Qualified Lead",
			"salesqualifiedlead=Sales Qualified Lead", "opportunity=Opportunity", "customer=Customer",
			"evangelist=Evangelist", "other=Other"),
	}, derived("companyinformation", PropHSLastModified)...),
}

var deals = &ObjectType{
	Name: "deals", TypeID: "0-3", Singular: "deal", ModifiedProp: PropHSLastModified,
	DefaultProps: []string{"amount", "closedate", PropCreateDate, "dealname", "dealstage", PropHSLastModified, PropID, "pipeline"},
	TextProps:    []string{"dealname", "pipeline", "dealstage", "description"},
	Indexed:      []string{"dealname"},
	Builtin: append([]store.Property{
		text("dealname", "Deal Name", "dealinformation"),
		prop("amount", "Amount", "number", "number", "dealinformation"),
		prop("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation",
			"appointmentscheduled=Appointment Scheduled", "qualifiedtobuy=Qualified To Buy",
			"presentationscheduled=Presentation Scheduled", "decisionmakerboughtin=Decision Maker Bought-In",
			"contractsent=Contract Sent", "closedwon=Closed Won", "closedlost=Closed Lost"),
		prop("pipeline", "Pipeline", "enumeration", "select", "dealinformation", "default=Sales Pipeline"),
		prop("closedate", "Close Date", "datetime", "date", "dealinformation"),
		prop("dealtype", "Deal Type", "enumeration", "radio", "dealinformation",
			"newbusiness=New Business", "existingbusiness=Existing Business"),
		prop("description", "Deal Description", "string", "textarea", "dealinformation"),
	}, derived("dealinformation", PropHSLastModified)...),
}

// isDerived reports whether a property is kept by the hub rather than stored.
func isDerived(name string) bool {
	return name == PropID || name == PropCreateDate || name == PropLastModified || name == PropHSLastModified
}
