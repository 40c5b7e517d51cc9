// Package webqa makes and scores web-research tasks: questions that an
// agent answers by searching and reading the offline encyclopedia with the
// web tools (corpus/web), with one entity or value as the answer.
//
// Tasks come from three sources:
//
//   - Sample draws SailorFog-QA style tasks from a knowledge graph (a Graph,
//     such as a SimWiki world): random walks pick connected subgraphs with
//     multi-hop dependencies (and cycles where the graph has them), which
//     are deduplicated by structure with Weisfeiler-Lehman hashing and
//     turned into questions with WebSailor-V2's kinds of uncertainty:
//     obscured entities (described, never named), fuzzed dates and
//     numbers ("in the early 1870s", "between 40,000 and 50,000"),
//     ambiguous names resolved only by combining facts, fully obscured
//     questions with no name at all, and answers calculated from two facts.
//     Every question is checked against the whole graph to have exactly
//     one answer.
//   - WikiSampler draws simpler tasks from real Wikipedia documents: one
//     infobox fact, or two chained through the link graph.
//   - ReadQA loads external question sets (Search-R1's NQ and HotpotQA
//     JSONL formats).
//
// Each Task records its kinds, hop count, ground-truth answer with
// accepted aliases, and the evidence: the articles and the facts in them
// that lead to the answer. Oracle follows that evidence through a web
// Session, and Task.Reward scores a final answer by SQuAD-style
// normalised exact match (or token F1, when the task says so).
package webqa
