"""Chat-template tokens and turn labels (`families`, read from `template_tokens.toml`) and the
vocabulary that matches them in text (`vocabulary`): shared by the `leakage` checker and the
provider of a row's template-token count."""
