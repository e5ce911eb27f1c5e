// Package bench generates the synthetic data the benchmarks run on and holds
// the benchmarks that compare the product's paths with their raw anchors
// (plain COPY, raw SQL) in the same run. `make bench` runs them; the figures
// go to docs/benchmarks.md.
package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// LeadRow is one generated lead as an import file holds it: raw strings.
type LeadRow struct {
	Name, Phone, Email, Company, Source, Budget, City string
}

// Fields of LeadRow in CSV order.
var LeadHeader = []string{"name", "phone", "email", "company", "source", "budget", "city"}

// Record returns the row's CSV fields.
func (r LeadRow) Record() []string {
	return []string{r.Name, r.Phone, r.Email, r.Company, r.Source, r.Budget, r.City}
}

// Cities are the options of the generated workspace's city select field.
var Cities = []string{"sh", "bj", "gz", "sz", "hz", "cd"}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")

// Leads generates n rows with the given seed: about dupRate of them repeat
// an earlier row's person (same phone, other details), about badRate have an
// invalid phone, the rest are distinct mainland mobiles, half with an email.
func Leads(n int, seed uint64, dupRate, badRate float64) []LeadRow {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	rows := make([]LeadRow, n)
	for i := range rows {
		r := LeadRow{
			Name:    string(surnames[rng.IntN(len(surnames))]) + "先生",
			Company: "公司" + strconv.Itoa(rng.IntN(5000)),
			Source:  []string{"h5", "ads", "expo", "referral"}[rng.IntN(4)],
			Budget:  strconv.Itoa(1000 * (1 + rng.IntN(500))),
			City:    Cities[rng.IntN(len(Cities))],
		}
		switch p := rng.Float64(); {
		case p < badRate:
			r.Phone = "12" + strconv.Itoa(rng.IntN(1000))
		case p < badRate+dupRate && i > 0:
			r.Phone = rows[rng.IntN(i)].Phone
			if r.Phone == "" || len(r.Phone) < 11 {
				r.Phone = mobile(i)
			}
		default:
			r.Phone = mobile(i)
		}
		if rng.IntN(2) == 0 {
			r.Email = fmt.Sprintf("u%d@example.com", i)
		}
		rows[i] = r
	}
	return rows
}

// mobile is a distinct, valid mainland mobile for i (138xxxxxxxx then 139...).
func mobile(i int) string {
	return fmt.Sprintf("13%d%08d", 8+i/100_000_000, i%100_000_000)
}
