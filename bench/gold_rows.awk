# Write n rows shaped like csvclean's output on raw_data.csv (NOTEBOOK.md step 9's gold table),
# for the encode and split benchmarks until synth | csvclean can make them:
#   awk -v n=ROWS -v seed=S -f bench/gold_rows.awk
BEGIN {
	srand(seed)
	print "lead_id,lead_indicator,date_part,source,customer_group,onboarding,customer_code,purchases,time_spent,n_visits,bin_source"
	for (i = 0; i < n; i++) {
		code = ""
		for (k = 0; k < 10; k++)
			code = code sprintf("%c", 65 + int(rand() * 26))
		printf "%d,%d,2024-01-%02d,signup,%d,%s,%s,%d,%.13f,%.13f,group1\n", i, rand() < 0.468,
		    1 + int(rand() * 31), 1 + int(rand() * 9), rand() < 0.5 ? "True" : "False", code,
		    1 + int(rand() * 9), 80 + rand() * 40, 1 + rand() * 21
	}
}
