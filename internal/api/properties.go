package api

import (
	"net/http"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

type propertyJSON struct {
	Name                 string         `json:"name"`
	Label                string         `json:"label"`
	Type                 string         `json:"type"`
	FieldType            string         `json:"fieldType"`
	Description          string         `json:"description"`
	GroupName            string         `json:"groupName"`
	Options              []store.Option `json:"options"`
	DisplayOrder         int            `json:"displayOrder"`
	Calculated           bool           `json:"calculated"`
	ExternalOptions      bool           `json:"externalOptions"`
	HasUniqueValue       bool           `json:"hasUniqueValue"`
	Hidden               bool           `json:"hidden"`
	HubSpotDefined       bool           `json:"hubspotDefined"`
	FormField            bool           `json:"formField"`
	Archived             bool           `json:"archived"`
	ArchivedAt           string         `json:"archivedAt,omitempty"`
	CreatedAt            string         `json:"createdAt,omitempty"`
	UpdatedAt            string         `json:"updatedAt,omitempty"`
	ModificationMetadata struct {
		Archivable         bool `json:"archivable"`
		ReadOnlyDefinition bool `json:"readOnlyDefinition"`
		ReadOnlyValue      bool `json:"readOnlyValue"`
	} `json:"modificationMetadata"`
}

func propertyToJSON(p crm.Property) propertyJSON {
	out := propertyJSON{Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType, Description: p.Description,
		GroupName: p.GroupName, Options: p.Options, DisplayOrder: p.DisplayOrder, HasUniqueValue: p.HasUniqueValue,
		HubSpotDefined: p.HubSpotDefined, FormField: !p.ReadOnlyValue, Archived: p.Archived}
	if p.Archived {
		out.ArchivedAt = crm.FormatTime(p.ArchivedAt)
	}
	if out.Options == nil {
		out.Options = []store.Option{}
	}
	if !p.CreatedAt.IsZero() {
		out.CreatedAt, out.UpdatedAt = crm.FormatTime(p.CreatedAt), crm.FormatTime(p.UpdatedAt)
	}
	out.ModificationMetadata.Archivable = !p.HubSpotDefined
	out.ModificationMetadata.ReadOnlyDefinition = p.HubSpotDefined
	out.ModificationMetadata.ReadOnlyValue = p.ReadOnlyValue
	return out
}

func (s *Server) properties(c call) (int, any, error) {
	archived, err := boolParam(c.r, "archived")
	if err != nil {
		return 0, nil, err
	}
	props, err := s.crm.Properties(c.r.Context(), c.ot.Name, archived)
	if err != nil {
		return 0, nil, err
	}
	out := make([]propertyJSON, len(props))
	for i, p := range props {
		out[i] = propertyToJSON(p)
	}
	return http.StatusOK, map[string]any{"results": out}, nil
}

func (s *Server) property(c call) (int, any, error) {
	archived, err := boolParam(c.r, "archived")
	if err != nil {
		return 0, nil, err
	}
	p, err := s.crm.Property(c.r.Context(), c.ot.Name, c.r.PathValue("name"), archived)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, propertyToJSON(p), nil
}

// propertyUpdateJSON is HubSpot's PropertyUpdate: every field optional.
type propertyUpdateJSON struct {
	Label        *string         `json:"label"`
	Type         *string         `json:"type"`
	FieldType    *string         `json:"fieldType"`
	GroupName    *string         `json:"groupName"`
	Description  *string         `json:"description"`
	Options      *[]store.Option `json:"options"`
	DisplayOrder *int            `json:"displayOrder"`
}

func (s *Server) updateProperty(c call) (int, any, error) {
	var in propertyUpdateJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	p, err := s.crm.UpdateProperty(c.r.Context(), c.ot.Name, c.r.PathValue("name"), crm.PropertyUpdate(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, propertyToJSON(p), nil
}

// archiveProperty archives one property; it comes back, with its values,
// when a property of the same name is created again.
func (s *Server) archiveProperty(c call) (int, any, error) {
	return http.StatusNoContent, nil, s.crm.ArchiveProperties(c.r.Context(), c.ot.Name, []string{c.r.PathValue("name")}, true)
}

type propertyNamesJSON struct {
	Inputs []*struct {
		Name string `json:"name"`
	} `json:"inputs"`
}

// archiveProperties archives a batch of properties: 204 whatever each one's
// state was, as HubSpot documents.
func (s *Server) archiveProperties(c call) (int, any, error) {
	var in propertyNamesJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	if err := checkInputs(in.Inputs, nil); err != nil {
		return 0, nil, err
	}
	names := make([]string, len(in.Inputs))
	for i, x := range in.Inputs {
		names[i] = x.Name
	}
	return http.StatusNoContent, nil, s.crm.ArchiveProperties(c.r.Context(), c.ot.Name, names, false)
}

type propertyCreateJSON struct {
	Name           string         `json:"name"`
	Label          string         `json:"label"`
	Type           string         `json:"type"`
	FieldType      string         `json:"fieldType"`
	GroupName      string         `json:"groupName"`
	Description    string         `json:"description"`
	Options        []store.Option `json:"options"`
	DisplayOrder   int            `json:"displayOrder"`
	HasUniqueValue bool           `json:"hasUniqueValue"`
}

func (s *Server) createProperty(c call) (int, any, error) {
	var in propertyCreateJSON
	if err := decode(c.r, &in); err != nil {
		return 0, nil, err
	}
	p, err := s.crm.CreateProperty(c.r.Context(), c.ot.Name, store.Property{Name: in.Name, Label: in.Label,
		Type: in.Type, FieldType: in.FieldType, GroupName: in.GroupName, Description: in.Description,
		Options: in.Options, DisplayOrder: in.DisplayOrder, HasUniqueValue: in.HasUniqueValue})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, propertyToJSON(p), nil
}
