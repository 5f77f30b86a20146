"""The methods indexdsl ships with, registered through the same hooks as any plugin."""
