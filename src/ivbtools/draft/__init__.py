"""`ivb draft`: read a municipality's policy document or budget pages and draft its targets file
for an analyst to review (issue #27). documents: the text and tables of a .txt, .html or .pdf;
propose: sentences and table rows to target parts by the words of data/draft/lexicon.yaml;
write: the targets file in the project's schema and a review page beside it."""
