"""Signal generators."""
