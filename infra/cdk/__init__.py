"""The CDK app of furusato: one construct per capability, built from `furusato.topology`."""
