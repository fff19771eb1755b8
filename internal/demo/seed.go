package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/crm"
)

// seedSource is the change source of the records the demo makes.
const seedSource = "demo"

// cast are the words one side's made-up customers are drawn from: each
// side has its own companies, so the first sync has something to bring
// each way.
type cast struct {
	companies []string
	firsts    []string
	lasts     []string
	cities    []string
	country   string
	industry  []string
}

var acmeCast = cast{
	companies: []string{"Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent", "Stark", "Wayne", "Tyrell", "Cyberdyne"},
	firsts:    []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"},
	lasts:     []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners"},
	cities:    []string{"Boston", "Austin", "Denver", "Seattle", "Chicago"},
	country:   "United States",
	industry:  []string{"Manufacturing", "Retail", "Software", "Logistics"},
}

var oursCast = cast{
	companies: []string{"Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adventure", "Proseware", "Lucerne", "Margie"},
	firsts:    []string{"Marie", "Niels", "Lise", "Enrico", "Emmy", "Paul", "Rosalind", "Max", "Chien", "Erwin"},
	lasts:     []string{"Curie", "Bohr", "Meitner", "Fermi", "Noether", "Dirac", "Franklin", "Planck", "Wu", "Schrodinger"},
	cities:    []string{"Lyon", "Ghent", "Porto", "Graz", "Malmo"},
	country:   "Europe",
	industry:  []string{"Consulting", "Energy", "Healthcare", "Finance"},
}

var dealStages = []string{"appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "contractsent", "closedwon"}

// company is the i-th company of a cast: its name and domain.
func (c cast) company(i int) (name, domain string) {
	word := c.companies[i%len(c.companies)]
	n := i/len(c.companies) + 1
	return fmt.Sprintf("%s %d", word, n), fmt.Sprintf("%s-%d.example", strings.ToLower(word), n)
}

// contactEmail is the email of the i-th contact of a cast.
func (c cast) contactEmail(i int) string {
	_, domain := c.company(i)
	return fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(c.firsts[i%len(c.firsts)]), strings.ToLower(c.lasts[(i/len(c.firsts))%len(c.lasts)]), i, domain)
}

// seed creates n companies, n contacts (one at each company) and n deals.
func (c cast) seed(ctx context.Context, records *crm.Service, n int) error {
	var companies, contacts, deals []map[string]string
	closing := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name, domain := c.company(i)
		companies = append(companies, map[string]string{"name": name, "domain": domain,
			"industry": c.industry[i%len(c.industry)], "city": c.cities[i%len(c.cities)], "country": c.country,
			"numberofemployees": strconv.Itoa(10 + (i*37)%990)})
		contacts = append(contacts, map[string]string{"email": c.contactEmail(i),
			"firstname": c.firsts[i%len(c.firsts)], "lastname": c.lasts[(i/len(c.firsts))%len(c.lasts)],
			"company": name, "jobtitle": "Buyer", "lifecyclestage": "lead",
			"city": c.cities[i%len(c.cities)], "country": c.country})
		deals = append(deals, map[string]string{"dealname": name + " renewal", "amount": strconv.Itoa(1000 + (i*613)%49000),
			"dealstage": dealStages[i%len(dealStages)], "pipeline": "default",
			"closedate": closing.AddDate(0, 0, i%180).Format(time.RFC3339)})
	}
	for _, batch := range []struct {
		object string
		rows   []map[string]string
	}{{"companies", companies}, {"contacts", contacts}, {"deals", deals}} {
		for start := 0; start < len(batch.rows); start += crm.MaxBatch {
			if _, err := records.BatchCreate(ctx, seedSource, batch.object, batch.rows[start:min(start+crm.MaxBatch, len(batch.rows))]); err != nil {
				return fmt.Errorf("seed %s: %w", batch.object, err)
			}
		}
	}
	return nil
}
