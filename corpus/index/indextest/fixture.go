// Package indextest provides documents for tests and benchmarks of the
// index and the web tools: a small hand-written encyclopedia with known
// answers, and a generator of any number of English-like articles.
package indextest

import (
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus"
)

// LongTitle is the title of the fixture's one long article, which runs to
// several visit pages. Only its later paragraphs mention an aqueduct.
const LongTitle = "History of the Roman Empire"

// Redirects are the fixture's redirects: alternative titles of its articles.
func Redirects() []corpus.Redirect {
	return []corpus.Redirect{
		{From: "Big Apple", To: "New York City"},
		{From: "NYC", To: "New York City"},
		{From: "Roman Empire", To: LongTitle},
		{From: "Hg", To: "Mercury (element)"},
	}
}

// Fixture returns about fifty short hand-written articles. Their URLs are
// left empty, so that the index gives them its default ones.
func Fixture() []corpus.Document {
	docs := make([]corpus.Document, 0, len(fixture)+1)
	for i, a := range fixture {
		docs = append(docs, corpus.Document{ID: strconv.Itoa(i + 1), Title: a[0], Text: a[1]})
	}
	docs = append(docs, corpus.Document{ID: strconv.Itoa(len(fixture) + 1), Title: LongTitle, Text: longArticle()})
	return docs
}

// fixture holds title and text pairs.
var fixture = [][2]string{
	{"Lynx", "The lynx is a wild cat with tufted ears and a short tail. Four species are recognised.\n\nLynx hunt snowshoe hares in the boreal forest, and their numbers rise and fall with those of the hares."},
	{"Boreal forest of Canada", "The boreal forest covers much of northern Canada. Spruce, fir and birch grow there. Moose, wolves, a lynx or two and many birds live in it.\n\nWinters are long and cold, and summers are short."},
	{"Jaguar", "The jaguar is the largest cat of the Americas. It lives in rainforests and wetlands from Mexico to Argentina and hunts caimans, deer and capybaras."},
	{"Pantanal", "The Pantanal is a vast tropical wetland in Brazil, Bolivia and Paraguay. It floods every rainy season and is home to caimans, giant otters and capybaras."},
	{"New York City", "New York City is the most populous city in the United States. It lies at the mouth of the Hudson River and has five boroughs: Manhattan, Brooklyn, Queens, the Bronx and Staten Island.\n\nThe city was founded by Dutch colonists as New Amsterdam in 1624."},
	{"Hudson River", "The Hudson River flows from the Adirondack Mountains south to New York Harbor. It is named after Henry Hudson, who sailed up it in 1609."},
	{"Paris", "Paris is the capital and largest city of France. It stands on the Seine and is known for the Eiffel Tower, the Louvre and its cafés."},
	{"France", "France is a country in Western Europe. Its capital is Paris. France borders Belgium, Germany, Switzerland, Italy and Spain."},
	{"Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower in Paris, built by Gustave Eiffel's company for the 1889 World's Fair. It is 330 metres tall."},
	{"Louvre", "The Louvre is the world's most visited art museum, in Paris. It holds the Mona Lisa and the Venus de Milo."},
	{"Mona Lisa", "The Mona Lisa is a portrait painted by Leonardo da Vinci in the early sixteenth century. It hangs in the Louvre."},
	{"Leonardo da Vinci", "Leonardo da Vinci was an Italian painter, engineer and scientist of the Renaissance. He painted the Mona Lisa and The Last Supper."},
	{"Mercury (planet)", "Mercury is the smallest planet of the Solar System and the closest to the Sun. A year on Mercury lasts 88 Earth days."},
	{"Mercury (element)", "Mercury is a chemical element with symbol Hg and atomic number 80. It is the only metal that is liquid at room temperature."},
	{"Mercury", "Mercury may refer to the planet, the chemical element, or the Roman messenger god."},
	{"Sun", "The Sun is the star at the centre of the Solar System. It is a nearly perfect sphere of hot plasma and gives the Earth its light and heat."},
	{"Earth", "Earth is the third planet from the Sun and the only astronomical object known to harbour life. Most of its surface is covered by oceans."},
	{"Moon", "The Moon is Earth's only natural satellite. Its gravity drives the tides. Twelve astronauts walked on it between 1969 and 1972."},
	{"Apollo 11", "Apollo 11 was the spaceflight that first landed humans on the Moon, on 20 July 1969. Neil Armstrong and Buzz Aldrin walked on the surface."},
	{"Neil Armstrong", "Neil Armstrong was an American astronaut and the first person to walk on the Moon, during the Apollo 11 mission."},
	{"Photosynthesis", "Photosynthesis is the process by which plants, algae and some bacteria turn light, water and carbon dioxide into sugar and oxygen."},
	{"Chlorophyll", "Chlorophyll is the green pigment of plants. It absorbs red and blue light for photosynthesis."},
	{"Oxygen", "Oxygen is a chemical element with symbol O and atomic number 8. Plants release it during photosynthesis and animals breathe it."},
	{"Honey bee", "The honey bee is a social insect that makes honey and wax. A colony has one queen, thousands of workers and some drones."},
	{"Beekeeping", "Beekeeping is the keeping of bee colonies in hives, mostly to collect honey. Beekeepers wear veils against stings."},
	{"Coffee", "Coffee is a drink brewed from roasted coffee beans. It originated in Ethiopia and Yemen and is now grown in Brazil, Vietnam and Colombia."},
	{"Tea", "Tea is a drink made by pouring hot water over the cured leaves of the tea plant. It originated in southwest China."},
	{"Brazil", "Brazil is the largest country in South America. Its capital is Brasília and its largest city is São Paulo. Brazil is the largest producer of coffee."},
	{"Amazon River", "The Amazon River in South America is the largest river by discharge of water in the world. It flows through Peru, Colombia and Brazil."},
	{"Python (programming language)", "Python is a high-level programming language created by Guido van Rossum and first released in 1991. Its design emphasises readable code."},
	{"Go (programming language)", "Go is a statically typed, compiled programming language designed at Google by Robert Griesemer, Rob Pike and Ken Thompson. It has goroutines and channels."},
	{"Ken Thompson", "Ken Thompson is an American computer scientist who designed and implemented the original Unix operating system and co-designed the Go programming language."},
	{"Unix", "Unix is a family of multitasking operating systems that began at Bell Labs in 1969."},
	{"Chess", "Chess is a board game for two players. Each player starts with sixteen pieces: a king, a queen, two rooks, two knights, two bishops and eight pawns."},
	{"Magnus Carlsen", "Magnus Carlsen is a Norwegian chess grandmaster and a former world chess champion."},
	{"Violin", "The violin is a wooden string instrument with four strings, usually played with a bow. It is the smallest and highest-pitched member of its family."},
	{"Antonio Stradivari", "Antonio Stradivari was an Italian maker of violins, cellos and guitars. His instruments are prized by players today."},
	{"Mount Everest", "Mount Everest is Earth's highest mountain above sea level, in the Himalayas on the border of Nepal and China. Its summit is 8,849 metres high."},
	{"Himalayas", "The Himalayas are a mountain range in Asia separating the Indo-Gangetic Plain from the Tibetan Plateau. They hold the highest peaks on Earth."},
	{"Nile", "The Nile is a major river in northeastern Africa, flowing north into the Mediterranean Sea. It was the lifeline of ancient Egypt."},
	{"Ancient Egypt", "Ancient Egypt was a civilisation of northeastern Africa along the Nile. Its rulers, the pharaohs, built the pyramids of Giza."},
	{"Great Pyramid of Giza", "The Great Pyramid of Giza is the oldest and largest of the pyramids at Giza, built as a tomb for the pharaoh Khufu about 2560 BC."},
	{"Tide", "Tides are the rise and fall of sea levels caused by the gravity of the Moon and the Sun acting on the rotating Earth."},
	{"Volcano", "A volcano is a rupture in the crust of a planet through which lava, volcanic ash and gases escape from a magma chamber below the surface."},
	{"Iceland", "Iceland is an island country in the North Atlantic with many volcanoes, geysers and glaciers. Its capital is Reykjavík."},
	{"Penguin", "Penguins are flightless seabirds of the Southern Hemisphere. They swim with their flippers and eat krill, fish and squid."},
	{"Antarctica", "Antarctica is Earth's southernmost continent. It is covered by ice, and emperor penguins breed on its sea ice in winter."},
	{"Bicycle", "A bicycle is a pedal-driven vehicle with two wheels, one behind the other. Bicycles were introduced in nineteenth-century Europe."},
	{"Tour de France", "The Tour de France is an annual men's bicycle race held mostly in France over three weeks each July."},
}

// longArticle is the text of the fixture's long article: about 9,500
// characters in sections, so that visit pages through it.
func longArticle() string {
	sections := []struct{ heading, body string }{
		{"", "The Roman Empire was the state ruled by the Romans after the end of the Roman Republic in 27 BC. At its height it held the lands around the Mediterranean Sea, from Britain to Egypt and from Spain to Mesopotamia. Latin and Greek were its chief languages, and Rome was its capital for most of its history."},
		{"Founding", "Augustus, the adopted heir of Julius Caesar, became the first emperor after defeating Mark Antony and Cleopatra at Actium. He kept the forms of the Republic, the Senate and the magistrates, while holding the real power himself. His long reign began two centuries of relative peace, the Pax Romana."},
		{"Government", "The emperor commanded the legions, chose governors for the frontier provinces and heard appeals from across the empire. The Senate kept its prestige and governed the quieter provinces. Cities ran their own affairs through councils of local notables, who collected taxes and kept order."},
		{"Army", "The legions were the backbone of the army. Each legion held about five thousand heavy infantry, recruited from citizens, and served for twenty-five years. Auxiliary units of non-citizens supplied cavalry and archers, and earned citizenship at the end of their service."},
		{"Economy", "Trade moved grain from Egypt and Africa to feed the city of Rome, along with wine, olive oil, metals and pottery. A common silver coinage and the peace at sea made long-distance trade easier than it had ever been."},
		{"Roads", "Roman engineers built more than four hundred thousand kilometres of roads, eighty thousand of them paved. Milestones marked the distances, and relay stations let official messengers change horses."},
		{"Religion", "Romans honoured many gods in public rites, and emperors after their death were often declared divine. Christianity spread through the cities of the east and was made legal by Constantine in 313."},
		{"Crisis of the third century", "Between 235 and 284 the empire nearly fell apart under civil wars, invasions, plague and a collapsing currency. Dozens of emperors rose and fell, and for a time the west and the east broke away."},
		{"Division", "Diocletian restored order and shared power among four rulers. Constantine founded a new capital at Constantinople. After 395 the empire was governed as two halves, the west from Milan or Ravenna and the east from Constantinople."},
		{"Fall of the West", "In the fifth century the western provinces were lost to Goths, Vandals, Franks and other peoples. The last western emperor, Romulus Augustulus, was deposed in 476. The eastern half lasted for another thousand years."},
		{"Engineering", "Roman builders used concrete to raise domes, vaults and harbours. The Pantheon in Rome still carries the largest unreinforced concrete dome in the world. An aqueduct brought fresh water to a city over many kilometres, crossing valleys on arches; the aqueduct of Segovia still stands."},
		{"Water supply", "Eleven aqueducts supplied the city of Rome, delivering water to public fountains, baths and the houses of the rich. Lead pipes carried it within the city, and sewers such as the Cloaca Maxima carried it away."},
		{"Legacy", "Roman law shaped the legal systems of much of Europe, Latin gave birth to the Romance languages, and Roman architecture was copied from the Renaissance to the present day."},
	}
	var b strings.Builder
	for _, s := range sections {
		if s.heading != "" {
			b.WriteString(s.heading)
			b.WriteString("\n\n")
		}
		// Each section's text is given three times, to make the article
		// long enough to page through.
		for range 3 {
			b.WriteString(s.body)
			b.WriteString("\n\n")
		}
	}
	return strings.TrimSpace(b.String())
}
