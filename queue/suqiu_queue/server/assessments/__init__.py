"""assessments area: psychological self-assessment results (心理测评) and crisis alerts (危机预警)."""
