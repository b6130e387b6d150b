from edgenn.export import status


def test_status_header_is_rendered_from_the_python_table():
    assert status.HEADER.read_text() == status.render()


def test_status_codes_are_distinct_and_ok_is_zero():
    codes = [code for _, code, _ in status.STATUS]
    assert len(set(codes)) == len(codes)
    assert dict((name, code) for name, code, _ in status.STATUS)["OK"] == 0
