"""The vocabulary of the cycle: plan, agencies, assignments, the workbook layout, submissions and findings."""
