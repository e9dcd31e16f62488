"""The detector library: credentials (`ftqa.detect.secrets`) and personal data
(`ftqa.detect.pii`) in one string, with the string-walking and masking tools they share.

Imported by the `secrets`, `pii` and `encoding` checkers and by the outbound-text layer
(`ftqa.outbound`), which masks whatever these detectors find in every string that leaves ftqa.
It sits low in the import layers: it depends on nothing but `ftqa.records` and libraries.
"""
