"""Building long-layout values files (NHS Digital's QOF layout) for the `qofsim calc` tests."""

import csv

HEADER = ("QUALITY_SERVICE,NAME,ORG_CODE,ACH_DATE,IND_CODE,FIELD_NAME,VALUE,DEFAULT_VALUES_USED,SUBMIT_USER_ID,"
          "SUBMIT_DATE,SUBMIT_TIME,LAST_SUBMISSION\n")


def row(org, ind, field, value, user="AUTOMATED"):
    return f"QOF,Practice {org},{org},31/03/2013,{ind},{field},{value},N,{user},05/04/2013,10:00:00,Y\n"


def write(tmp_path, text, name="values.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def read(p):
    with open(p) as f:
        return list(csv.DictReader(f))
